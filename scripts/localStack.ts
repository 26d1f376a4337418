/**
 * What `npm start` and `npm run sync` share: trusting the local certificate, and
 * settings that point at the embedded stand-ins (Azurite, the Dataverse and Meander
 * simulators) wherever the environment or local.settings.json does not name a real endpoint.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { appRoot, readLocalSettings } from "../shared/config/settings.js";
import { azuriteConnectionString, startAzurite } from "../sim/azurite.js";
import type { GenerateOptions } from "../sim/data/generator.js";
import { LOCAL_BASELINE_KEY, LOCAL_CLIENT, type StandInOptions, type StandIns, startStandIns } from "../sim/stack.js";
import { bundleCertificates, ensureLocalCertificate } from "../sim/tls.js";

export const LOCAL_DIR = join(appRoot(), ".local");

/** A few hundred likepersons, most on both sides, with format noise, a few conflicts and a couple of ambiguous duplicates. */
export const LOCAL_DATASET: GenerateOptions = {
  seed: 2026,
  people: 300,
  overlap: 0.6,
  portalOnlyMembers: 40,
  conflictingShare: 0.02,
  formatNoiseShare: 0.2,
  ambiguousShare: 0.007,
  activitiesPerPerson: 1.5,
  // What the member-register rules are for: a likeperson whose contact is inactive, one whose member's contacts were merged.
  inactiveMatches: 2,
  mergedContacts: 1,
};
/** The ports local.settings.example.json names; a free port when taken. */
export const STAND_IN_PORTS = { dataverse: 7443, meander: 7080 } as const;

/**
 * Node reads NODE_EXTRA_CA_CERTS only at start-up: without it, run this script again in
 * a child that trusts the simulators' certificate, and exit with the child's code.
 * Returns only in the process that already trusts it. A NODE_EXTRA_CA_CERTS the user set
 * (a TLS-inspecting proxy, a sandbox on its own certificate) is kept: the child trusts a
 * bundle of that file and the local certificate, never the local one instead of it.
 */
export async function trustLocalCertificate(): Promise<void> {
  const { certPath } = ensureLocalCertificate(join(LOCAL_DIR, "tls"));
  const bundlePath = join(LOCAL_DIR, "tls", "ca-bundle.pem");
  const current = process.env.NODE_EXTRA_CA_CERTS;
  if (current === certPath || current === bundlePath) return;
  const trusted = current ? bundleCertificates([current, certPath], bundlePath) : certPath;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: trusted },
  });
  // Ctrl-C reaches the child too (same process group); the parent only waits for it.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => child.once("exit", (c, s) => resolve(c ?? (s ? 130 : 1))));
  process.exit(code);
}

export interface LocalStack {
  /** The settings the service runs with: configured values first, stand-ins for the rest. */
  readonly env: Record<string, string | undefined>;
  readonly standIns: StandIns;
  /** Which settings point at a stand-in (for the summary). */
  readonly usingStandIn: { readonly dataverse: boolean; readonly meander: boolean; readonly storage: boolean };
  readonly azuriteDir?: string;
  /** The persisted Azurite data was cleared because both systems are fresh simulators. */
  readonly freshState: boolean;
  close(): Promise<void>;
}

const GROUPS: Record<string, readonly string[]> = {
  // The simulator's Key Vault holds the client secret, so the local stack reads it as Azure does.
  DATAVERSE_URL: [
    "DATAVERSE_URL",
    "DATAVERSE_TENANT_ID",
    "DATAVERSE_CLIENT_ID",
    "DATAVERSE_CLIENT_SECRET",
    "DATAVERSE_CLIENT_SECRET_NAME",
    "DATAVERSE_AUTHORITY_HOST",
    "KEY_VAULT_URL",
    "SYNC_BASELINE_KEY_NAME",
  ],
  // The stand-in Meander's tokens come from the stand-in's own token endpoint, never from
  // the tenant a configured Dataverse uses.
  MEANDER_API_URL: ["MEANDER_API_URL", "MEANDER_API_SCOPE", "MEANDER_TENANT_ID", "MEANDER_CLIENT_ID", "MEANDER_CLIENT_SECRET", "MEANDER_AUTHORITY_HOST"],
};

const blank = (v: string | undefined) => v === undefined || v.trim() === "";

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });

/**
 * Both simulators on the example's ports when both are free, else both on free ports:
 * probing first, because a half-started pair would leave one server behind.
 */
async function standInsOnPreferredPorts(options: StandInOptions): Promise<StandIns> {
  const free = (await portFree(STAND_IN_PORTS.dataverse)) && (await portFree(STAND_IN_PORTS.meander));
  if (!free) return await startStandIns(options);
  return await startStandIns({
    ...options,
    dataverse: { port: STAND_IN_PORTS.dataverse, ...options.dataverse },
    meander: { port: STAND_IN_PORTS.meander, ...options.meander },
  });
}

/**
 * Starts what the configured settings do not provide. `persist`: Azurite keeps its data
 * under .local/azurite (npm start); otherwise in memory (one-off CLI runs against fresh simulators).
 */
export async function startLocalStack(options: {
  persist: boolean;
  standIns?: StandInOptions;
  /** The configured settings; default the environment over local.settings.json. */
  configured?: Readonly<Record<string, string | undefined>>;
  /** Where a persisted Azurite keeps its data; default .local/azurite. */
  azuriteDir?: string;
  /** False: no Azurite even when storage is not configured (commands that keep no state). */
  storage?: boolean;
}): Promise<LocalStack> {
  const configured = options.configured ?? readLocalSettings(appRoot());
  const standIns = await standInsOnPreferredPorts(options.standIns ?? {});
  const env: Record<string, string | undefined> = { ...configured };
  // A system's settings come as a group: a configured real Dataverse keeps its own
  // tenant, client and secret rather than being mixed with the simulator's.
  const standInValues: Record<string, string> = {
    ...standIns.settings,
    KEY_VAULT_URL: standIns.dataverse.keyVaultUrl,
    MEANDER_TENANT_ID: standIns.dataverse.tenantId,
    MEANDER_CLIENT_ID: LOCAL_CLIENT.clientId,
    MEANDER_CLIENT_SECRET: LOCAL_CLIENT.clientSecret,
    MEANDER_AUTHORITY_HOST: standIns.dataverse.authorityHost,
  };
  for (const [urlSetting, group] of Object.entries(GROUPS)) {
    if (!blank(configured[urlSetting]) && configured[urlSetting] !== standInValues[urlSetting]) continue;
    for (const name of group) if (blank(env[name]) || name === urlSetting) env[name] = standInValues[name];
  }
  // The baseline key protects the service's own state, which the local stack keeps locally:
  // with no vault to read it from (a configured Dataverse without KEY_VAULT_URL), the local key.
  if (blank(env.KEY_VAULT_URL) && blank(env.SYNC_BASELINE_KEY)) env.SYNC_BASELINE_KEY = LOCAL_BASELINE_KEY.value;

  // UseDevelopmentStorage=true means "the local emulator": that is the Azurite started here.
  const storageConfigured =
    !blank(configured.SYNC_TABLES_URL) ||
    !(blank(configured.AzureWebJobsStorage) || /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(configured.AzureWebJobsStorage ?? ""));
  let azurite: Awaited<ReturnType<typeof startAzurite>> | undefined;
  let azuriteDir: string | undefined;
  const usingStandIn = {
    dataverse: env.DATAVERSE_URL === standInValues.DATAVERSE_URL,
    meander: env.MEANDER_API_URL === standInValues.MEANDER_API_URL,
    storage: !storageConfigured,
  };
  let freshState = false;
  if (!storageConfigured && options.storage !== false) {
    azuriteDir = options.persist ? (options.azuriteDir ?? join(LOCAL_DIR, "azurite")) : undefined;
    // The simulators start from their seed every time: sync state from an earlier session
    // would link records they no longer hold. Kept after Ctrl-C for inspection, cleared here.
    // With a real system on either side the state is real and stays.
    freshState = azuriteDir !== undefined && usingStandIn.dataverse && usingStandIn.meander;
    if (azuriteDir && freshState) rmSync(azuriteDir, { recursive: true, force: true });
    if (azuriteDir) mkdirSync(azuriteDir, { recursive: true });
    azurite = await startAzurite(azuriteDir ? { location: azuriteDir } : {});
    env.AzureWebJobsStorage = azurite.connectionString;
  } else if (!storageConfigured) {
    // Settings need a storage account; a command that keeps no state never opens it.
    env.AzureWebJobsStorage = azuriteConnectionString(10002);
  }
  return {
    env,
    standIns,
    usingStandIn,
    freshState,
    ...(azuriteDir ? { azuriteDir } : {}),
    async close() {
      await standIns.close();
      await azurite?.stop();
    },
  };
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Data for the simulators that stand in for unconfigured systems. */
  readonly dataset?: GenerateOptions;
  /** The configured settings; default the environment over local.settings.json. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
}

/** Engine and function log lines for a person at a terminal: time, level, message, then key=value. */
export function terminalLine(level: string, line: string): string {
  const time = new Date().toISOString().slice(11, 19);
  let text = line;
  try {
    const { level: _, message, ...rest } = JSON.parse(line) as Record<string, unknown>;
    text = `${String(message)}${Object.entries(rest)
      .map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join("")}`;
  } catch {
    // not one of our JSON lines: shown as it is
  }
  return `${time} ${level.padEnd(5)} ${text}`;
}
