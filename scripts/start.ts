/**
 * `npm start`: the whole stack on this machine, nothing reaching Azure. Azurite, the
 * Dataverse and Meander simulators (seeded with generated HLF data), the functions
 * served on :7071 without Core Tools, one sync at start and a summary. Ctrl-C stops it all.
 * `npm start -- --stand-ins-only`: just the two simulators, for `func start`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { functionDefinitions } from "../functions/definitions.js";
import { createService, getService, setServiceForProcess } from "../shared/composition.js";
import { appRoot, loadSettings } from "../shared/config/settings.js";
import type { SideCounts, SyncResult } from "../shared/core/types.js";
import { toErrorInfo } from "../shared/errors.js";
import { createJsonLogger } from "../shared/logging.js";
import type { GenerateOptions } from "../sim/data/generator.js";
import { startStandIns } from "../sim/stack.js";
import { LOCAL_DATASET, type LocalStack, STAND_IN_PORTS, startLocalStack, terminalLine, trustLocalCertificate } from "./localStack.js";
import { type LocalFunctionsServer, resolveSetting, serveFunctions } from "./serve.js";

export interface StartOptions {
  readonly port?: number;
  /** Keep Azurite's data on disk (default true), under `azuriteDir` (default .local/azurite). */
  readonly persist?: boolean;
  readonly azuriteDir?: string;
  readonly dataset?: GenerateOptions;
  /** The configured settings; default the environment over local.settings.json. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
  /** Progress and log lines for a person; default stderr. */
  readonly log?: (level: string, line: string) => void;
}

export interface RunningStack {
  readonly stack: LocalStack;
  readonly server: LocalFunctionsServer;
  readonly results: ReadonlyMap<string, SyncResult | string>;
  /** The readable summary printed at start. */
  readonly summary: string;
  stop(): Promise<void>;
}

const stderrLog = (level: string, line: string) => process.stderr.write(`${terminalLine(level, line)}\n`);

const countsLine = (c: SideCounts) =>
  `read ${c.read}, created ${c.created}, updated ${c.updated}, deleted ${c.deleted}, unchanged ${c.unchanged}, skipped ${c.skipped}, failed ${c.failed}`;

function summarize(stack: LocalStack, server: LocalFunctionsServer, schedule: string, results: ReadonlyMap<string, SyncResult | string>): string {
  const { dataverse, meander } = stack.standIns;
  const api = `${server.url.replace("127.0.0.1", "localhost")}/api`;
  const pad = "".padEnd(12);
  const lines = [
    "",
    "Meander ↔ HLF Min Side sync: the local stack is up",
    "",
    `  functions  ${api}  (timer ${schedule} UTC, next ${server.nextTimer()?.toISOString() ?? "-"})`,
    `  console    ${api}/console  (the review console in a browser${existsSync(join(appRoot(), "dist", "console", "index.html")) ? "" : "; not built: npm run build"})`,
    `  Dataverse  ${stack.env.DATAVERSE_URL}${stack.usingStandIn.dataverse ? `  simulator: ${dataverse.store.list("contacts").length} contacts` : "  (configured)"}`,
    `  Meander    ${stack.env.MEANDER_API_URL}${stack.usingStandIn.meander ? `  simulator: ${meander.store.list("likepersons").length} likepersons, ${meander.store.list("activities").length} activities` : "  (configured)"}`,
    `  storage    ${stack.usingStandIn.storage ? `Azurite, data ${stack.azuriteDir ? `in ${stack.azuriteDir}${stack.freshState ? " (cleared at start: the simulators start from their seed)" : ""}` : "in memory"}` : "(configured)"}`,
    "",
    "First sync:",
  ];
  for (const [configId, result] of results) {
    if (typeof result === "string") {
      lines.push(`  ${configId.padEnd(12)} ${result}`);
      continue;
    }
    lines.push(
      `  ${configId.padEnd(12)} ${result.status} in ${((result.durationMs ?? 0) / 1000).toFixed(1)} s  (run ${result.runId})`,
      `  ${pad} Meander: ${countsLine(result.counts.meander)}`,
      `  ${pad} portal:  ${countsLine(result.counts.portal)}`,
      `  ${pad} review items found ${result.conflicts.found}, auto-resolved ${result.conflicts.autoResolved}, open ${result.conflicts.open}${
        result.conflicts.openByKind
          ? ` (${Object.entries(result.conflicts.openByKind)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(", ")})`
          : ""
      }; retry ledger ${result.ledger.size}; errors ${result.errorCount}`,
      ...result.notes.map((note) => `  ${pad} note: ${note}`),
    );
  }
  // Point at the config with something to look at: parked conflicts first.
  const withConflicts = [...results].find(([, r]) => typeof r !== "string" && r.conflicts.open > 0)?.[0];
  const first = withConflicts ?? [...results.keys()][0] ?? "likepersons";
  lines.push(
    "",
    "Next:",
    `  curl -s -X POST ${api}/sync/${first}/runs            # run now`,
    `  curl -s '${api}/sync/${first}/runs?limit=5'          # history`,
    `  curl -s ${api}/sync/${first}/conflicts               # the review queue: items parked for a person`,
    `  curl -s ${api}/sync/configs                          # configs`,
    "  README.md: the HTTP API, the review queue, the operators' guide.",
    "Ctrl-C stops everything.",
  );
  return lines.join("\n");
}

/** Brings the stack up, runs every enabled config once and returns the summary. */
export async function startLocal(options: StartOptions = {}): Promise<RunningStack> {
  const log = options.log ?? stderrLog;
  log("info", "starting Azurite and the simulators");
  const stack = await startLocalStack({
    persist: options.persist ?? true,
    standIns: { dataset: options.dataset ?? LOCAL_DATASET },
    ...(options.settings ? { configured: options.settings } : {}),
    ...(options.azuriteDir ? { azuriteDir: options.azuriteDir } : {}),
  });
  let server: LocalFunctionsServer | undefined;
  const stop = async () => {
    await server?.close().catch(() => undefined);
    setServiceForProcess(undefined);
    await stack.close().catch(() => undefined);
  };
  try {
    const settings = loadSettings(stack.env);
    const service = await createService(settings, { logger: createJsonLogger(log) });
    setServiceForProcess(Promise.resolve(service));
    const definitions = functionDefinitions(getService);
    const schedule = resolveSetting(definitions.timer.options.schedule, { SYNC_SCHEDULE: settings.schedule });
    server = await serveFunctions({
      definitions,
      port: options.port ?? 7071,
      schedule,
      log: (level, _fn, line) => log(level === "information" ? "info" : level === "warning" ? "warn" : level, line),
    });
    const results = new Map<string, SyncResult | string>();
    for (const configId of service.enabledConfigIds()) {
      try {
        results.set(configId, await service.runSync(configId, { trigger: "cli" }));
      } catch (error) {
        const info = toErrorInfo(error);
        results.set(configId, `could not run: ${info.code}: ${info.message}`);
      }
    }
    return { stack, server, results, summary: summarize(stack, server, schedule, results), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** For `func start`: only the two simulators, on the ports local.settings.example.json names. */
async function standInsOnly(): Promise<void> {
  const standIns = await startStandIns({ dataset: LOCAL_DATASET, dataverse: { port: STAND_IN_PORTS.dataverse }, meander: { port: STAND_IN_PORTS.meander } });
  process.stdout.write(
    [
      `Dataverse simulator (token endpoint, Key Vault): ${standIns.dataverse.url}`,
      `Meander simulator: ${standIns.meander.url}`,
      `Trust the local certificate in the Functions host: export NODE_EXTRA_CA_CERTS=${standIns.certPath}`,
      "Ctrl-C stops them.",
      "",
    ].join("\n"),
  );
  const stop = () => void standIns.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function main(): Promise<void> {
  if (process.argv.includes("--stand-ins-only")) return standInsOnly();
  await trustLocalCertificate();
  let running: RunningStack;
  try {
    running = await startLocal();
  } catch (error) {
    stderrLog("error", `start failed: ${toErrorInfo(error).message}`);
    process.exit(1);
  }
  process.stdout.write(`${running.summary}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stderrLog("info", "stopping");
    void running.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
