/**
 * `npm start`: the whole stack on this machine, nothing reaching Azure. Azurite, the
 * Dataverse and Meander simulators (seeded with generated HLF data), the functions
 * served on :7071 without Core Tools, one sync at start and a summary. Ctrl-C stops it all.
 */
import type { SideCounts, SyncResult } from "../shared/core/types.js";
import { functionDefinitions } from "../functions/definitions.js";
import { createService, getService, setServiceForProcess } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import { toErrorInfo } from "../shared/errors.js";
import { createJsonLogger } from "../shared/logging.js";
import { LOCAL_DATASET, type LocalStack, startLocalStack, terminalLine, trustLocalCertificate } from "./localStack.js";
import { type LocalFunctionsServer, resolveSetting, serveFunctions } from "./serve.js";

const say = (line = "") => process.stdout.write(`${line}\n`);
const log = (level: string, line: string) => process.stderr.write(`${terminalLine(level, line)}\n`);

const countsLine = (c: SideCounts) =>
  `read ${c.read}, created ${c.created}, updated ${c.updated}, deleted ${c.deleted}, unchanged ${c.unchanged}, skipped ${c.skipped}, failed ${c.failed}`;

function summary(stack: LocalStack, server: LocalFunctionsServer, schedule: string, results: Map<string, SyncResult | string>): void {
  const { dataverse, meander } = stack.standIns;
  const api = `${server.url.replace("127.0.0.1", "localhost")}/api`;
  say();
  say("Meander ↔ HLF Min Side sync: the local stack is up");
  say();
  say(`  functions  ${api}  (timer ${schedule} UTC, next ${server.nextTimer()?.toISOString() ?? "-"})`);
  say(`  Dataverse  ${stack.env.DATAVERSE_URL}${stack.usingStandIn.dataverse ? `  simulator: ${dataverse.store.list("contacts").length} contacts` : "  (configured)"}`);
  say(`  Meander    ${stack.env.MEANDER_API_URL}${stack.usingStandIn.meander ? `  simulator: ${meander.store.list("likepersons").length} likepersons, ${meander.store.list("activities").length} activities` : "  (configured)"}`);
  say(`  storage    ${stack.usingStandIn.storage ? `Azurite, data in ${stack.azuriteDir ?? "memory"}` : "(configured)"}`);
  say();
  say("First sync:");
  for (const [configId, result] of results) {
    if (typeof result === "string") {
      say(`  ${configId.padEnd(12)} ${result}`);
      continue;
    }
    say(`  ${configId.padEnd(12)} ${result.status} in ${((result.durationMs ?? 0) / 1000).toFixed(1)} s  (run ${result.runId})`);
    say(`  ${"".padEnd(12)} Meander: ${countsLine(result.counts.meander)}`);
    say(`  ${"".padEnd(12)} portal:  ${countsLine(result.counts.portal)}`);
    say(`  ${"".padEnd(12)} conflicts found ${result.conflicts.found}, auto-resolved ${result.conflicts.autoResolved}, parked (open) ${result.conflicts.open}; retry ledger ${result.ledger.size}; errors ${result.errorCount}`);
    for (const note of result.notes) say(`  ${"".padEnd(12)} note: ${note}`);
  }
  // Point at the config with something to look at: parked conflicts first.
  const withConflicts = [...results].find(([, r]) => typeof r !== "string" && r.conflicts.open > 0)?.[0];
  const first = withConflicts ?? [...results.keys()][0] ?? "likepersons";
  say();
  say("Next:");
  say(`  curl -s -X POST ${api}/sync/${first}/runs                 # run now`);
  say(`  curl -s '${api}/sync/${first}/runs?limit=5'               # history`);
  say(`  curl -s ${api}/sync/${first}/conflicts                    # conflicts parked for a person`);
  say(`  curl -s ${api}/sync/configs                               # configs`);
  say("  README.md: the HTTP API, resolving conflicts, the operators' guide.");
  say("Ctrl-C stops everything.");
}

async function main(): Promise<void> {
  await trustLocalCertificate();
  log("info", "starting Azurite and the simulators");
  const stack = await startLocalStack({ persist: true, standIns: { dataset: LOCAL_DATASET } });
  let server: LocalFunctionsServer | undefined;
  let closeService: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("info", "stopping");
    await server?.close().catch(() => undefined);
    await closeService?.().catch(() => undefined);
    await stack.close().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  try {
    const settings = loadSettings(stack.env);
    const service = await createService(settings, { logger: createJsonLogger(log) });
    closeService = () => service.close();
    setServiceForProcess(Promise.resolve(service));
    const definitions = functionDefinitions(getService);
    const schedule = resolveSetting(definitions.timer.options.schedule, { SYNC_SCHEDULE: settings.schedule });
    server = await serveFunctions({ definitions, port: 7071, schedule, log: (level, _fn, line) => log(level === "information" ? "info" : level === "warning" ? "warn" : level, line) });
    const results = new Map<string, SyncResult | string>();
    for (const configId of service.enabledConfigIds()) {
      try {
        results.set(configId, await service.runSync(configId, { trigger: "cli" }));
      } catch (error) {
        const info = toErrorInfo(error);
        results.set(configId, `could not run: ${info.code}: ${info.message}`);
      }
    }
    summary(stack, server, schedule, results);
  } catch (error) {
    log("error", `start failed: ${toErrorInfo(error).message}`);
    await stop(1);
  }
}

void main();
