/**
 * `npm run check -- [configId]`: reads the Dataverse metadata (EntityDefinitions) and
 * checks the configs against it before anything syncs: columns and their types, choice
 * values and the options a map leaves out (with their labels), date behaviours, the
 * alternate key's index status, change tracking, lookup navigation properties.
 * One line per finding on stdout; exit 0 when no finding is an error, 1 otherwise,
 * 2 for bad usage, settings or config id. Stand-ins serve whatever is not configured.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkConfigs, errorsOf, formatFinding } from "../shared/adapters/dataverse/schema/index.js";
import { createAzureCredential } from "../shared/adapters/identity.js";
import { createDataverseSide } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import { loadCompiledConfigs } from "../shared/config/syncConfig.js";
import { toErrorInfo } from "../shared/errors.js";
import { createJsonLogger } from "../shared/logging.js";
import { type CliIo, type LocalStack, startLocalStack, terminalLine, trustLocalCertificate } from "./localStack.js";

const USAGE = "usage: npm run check -- [configId]";

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

export async function runCheckCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let configId: string | undefined;
  try {
    const { positionals, values } = parseArgs({ args: [...argv], options: { help: { type: "boolean", short: "h" } }, allowPositionals: true });
    if (values.help || positionals.length > 1) {
      io.stderr(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    configId = positionals[0];
  } catch {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const log = (level: string, line: string) => io.stderr(`${terminalLine(level, line)}\n`);
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({ persist: false, storage: false, ...(io.settings ? { configured: io.settings } : {}) });
    const settings = loadSettings(stack.env);
    const configs = loadCompiledConfigs(settings.configDir);
    const chosen = [...configs.values()].map((c) => c.config).filter((c) => configId === undefined || c.id === configId);
    if (configId !== undefined && chosen.length === 0) {
      log("error", JSON.stringify({ message: "no such config", code: "UNKNOWN_CONFIG", configId }));
      return 2;
    }
    const { dataverse } = settings;
    const credential = createAzureCredential({
      ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
      tenantId: dataverse.tenantId,
      clientId: dataverse.clientId,
      ...(dataverse.clientSecret ? { clientSecret: dataverse.clientSecret } : {}),
      authorityHost: dataverse.authorityHost,
    });
    const side = createDataverseSide(settings, configs, credential, createJsonLogger(log));
    const findings = await checkConfigs(side.client, chosen);
    for (const finding of findings) io.stdout(`${formatFinding(finding)}\n`);
    const errors = errorsOf(findings).length;
    io.stdout(
      `${chosen.map((c) => c.id).join(", ")}: ${errors === 0 ? "the configs match the Dataverse metadata" : `${errors} mismatch(es)`} (${dataverse.url})\n`,
    );
    return errors === 0 ? 0 : 1;
  } catch (error) {
    const info = toErrorInfo(error);
    log("error", JSON.stringify({ message: "check could not run", code: info.code, detail: info.message }));
    return info.code === "SETTING_INVALID" || info.code === "CONFIG_INVALID" ? 2 : 1;
  } finally {
    await stack?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void trustLocalCertificate()
    .then(() => runCheckCli(process.argv.slice(2)))
    .then((code) => process.exit(code));
}
