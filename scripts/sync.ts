/**
 * `npm run sync -- <configId> [--dry-run]`: one run against the configured settings, with
 * the embedded stand-ins where a system is not configured. Progress on stderr, the
 * SyncResult as JSON on stdout; exit code 1 when the run failed, 2 for bad usage, settings or config id.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createService } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import { toErrorInfo } from "../shared/errors.js";
import { createJsonLogger } from "../shared/logging.js";
import type { GenerateOptions } from "../sim/data/generator.js";
import { LOCAL_DATASET, type LocalStack, startLocalStack, terminalLine, trustLocalCertificate } from "./localStack.js";

const USAGE = "usage: npm run sync -- <configId> [--dry-run]";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Data for the simulators that stand in for unconfigured systems. */
  readonly dataset?: GenerateOptions;
  /** The configured settings; default the environment over local.settings.json. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** Runs the command; resolves to the process exit code. */
export async function runSyncCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let configId: string;
  let dryRun: boolean;
  try {
    const { positionals, values } = parseArgs({
      args: [...argv],
      options: { "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help || positionals.length !== 1) {
      io.stderr(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    configId = positionals[0]!;
    dryRun = values["dry-run"] === true;
  } catch {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const log = (level: string, line: string) => io.stderr(`${terminalLine(level, line)}\n`);
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ persist: false, standIns: { dataset: io.dataset ?? LOCAL_DATASET }, ...(io.settings ? { configured: io.settings } : {}) });
    const service = await createService(loadSettings(stack.env), { logger: createJsonLogger(log) });
    const result = await service.runSync(configId, { trigger: "cli", dryRun });
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return result.status === "failed" ? 1 : 0;
  } catch (error) {
    const info = toErrorInfo(error);
    log("error", JSON.stringify({ message: "sync could not run", code: info.code, detail: info.message }));
    return info.code === "SETTING_INVALID" || info.code === "UNKNOWN_CONFIG" ? 2 : 1;
  } finally {
    await stack?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void trustLocalCertificate()
    .then(() => runSyncCli(process.argv.slice(2)))
    .then((code) => process.exit(code));
}
