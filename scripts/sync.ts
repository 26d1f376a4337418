/**
 * `npm run sync -- <configId> [--dry-run]`: one run against the configured settings, with
 * the embedded stand-ins where a system is not configured. Progress on stderr, the
 * SyncResult as JSON on stdout; exit code 1 when the run failed, 2 for bad usage or settings.
 */
import { parseArgs } from "node:util";
import { createService } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import { toErrorInfo } from "../shared/errors.js";
import { createJsonLogger } from "../shared/logging.js";
import { LOCAL_DATASET, type LocalStack, startLocalStack, terminalLine, trustLocalCertificate } from "./localStack.js";

const USAGE = "usage: npm run sync -- <configId> [--dry-run]";
const log = (level: string, line: string) => process.stderr.write(`${terminalLine(level, line)}\n`);

async function main(): Promise<number> {
  let configId: string | undefined;
  let dryRun = false;
  try {
    const { positionals, values } = parseArgs({ options: { "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true });
    if (values.help || positionals.length !== 1) {
      process.stderr.write(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    configId = positionals[0];
    dryRun = values["dry-run"] === true;
  } catch {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  await trustLocalCertificate();
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ persist: false, standIns: { dataset: LOCAL_DATASET } });
    const service = await createService(loadSettings(stack.env), { logger: createJsonLogger(log) });
    try {
      const result = await service.runSync(configId!, { trigger: "cli", dryRun });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return result.status === "failed" ? 1 : 0;
    } finally {
      await service.close();
    }
  } catch (error) {
    const info = toErrorInfo(error);
    log("error", JSON.stringify({ message: "sync could not run", code: info.code, detail: info.message }));
    return info.code === "SETTING_INVALID" || info.code === "UNKNOWN_CONFIG" ? 2 : 1;
  } finally {
    await stack?.close();
  }
}

main().then((code) => process.exit(code));
