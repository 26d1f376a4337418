/** `npm start` and `npm run sync` in-process: the same code their entry points run. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { STAND_IN_PORTS, startLocalStack } from "../../scripts/localStack.js";
import { type RunningStack, startLocal } from "../../scripts/start.js";
import { runSyncCli } from "../../scripts/sync.js";
import { DEFAULT_TENANT_ID } from "../../sim/dataverse/index.js";
import { LOCAL_CLIENT, LOCAL_SECRET_NAME, MEANDER_SCOPE } from "../../sim/stack.js";

const dataset = { seed: 5, people: 24, overlap: 0.7, conflictingShare: 0.2, ambiguousShare: 0.1, activitiesPerPerson: 1 };
/** The test run's Azurite, own tables: the scripts start their own Azurite only when none is configured. */
const settings = () => ({ AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, SYNC_TABLE_PREFIX: `s${randomBytes(5).toString("hex")}` });

describe("npm start", () => {
  let running: RunningStack | undefined;
  afterAll(() => running?.stop());

  test("brings the stack up, runs every enabled config once, prints a summary with curl lines", async () => {
    const lines: string[] = [];
    running = await startLocal({ port: 0, persist: false, dataset, settings: settings(), log: (level, line) => lines.push(`${level} ${line}`) });
    expect([...running.results.keys()].sort()).toEqual(["activities", "likepersons"]);
    const likepersons = running.results.get("likepersons");
    expect(typeof likepersons).toBe("object");
    const { summary } = running;
    expect(summary).toMatch(/simulator: \d+ contacts/);
    expect(summary).toMatch(/simulator: 2\d likepersons/);
    expect(summary).toContain("storage    (configured)");
    expect(summary).toContain(`console    ${running.server.url.replace("127.0.0.1", "localhost")}/api/console`);
    expect(summary).toMatch(/likepersons\s+(succeeded|partial) in \d+\.\d s/);
    expect(summary).toMatch(/Meander: read \d+, created \d+/);
    expect(summary).toMatch(/review items found \d+, auto-resolved \d+, open [1-9]\d* \(/);
    // HLF's configs: nothing created in or deleted from the member register by the first run.
    expect(summary).toMatch(/likepersons[^\n]*\n[^\n]*\n\s+portal: {2}read \d+, created 0, updated \d+, deleted 0,/);
    const curls = summary.split("\n").filter((l) => l.trim().startsWith("curl"));
    expect(curls).toHaveLength(4);

    // The curl lines work against the served functions.
    const base = running.server.url;
    const history = await fetch(`${base}/api/sync/likepersons/runs?limit=5`);
    expect(history.status).toBe(200);
    expect(((await history.json()) as { runs: { trigger: string }[] }).runs[0]?.trigger).toBe("cli");
    const conflicts = await fetch(`${base}/api/sync/likepersons/conflicts`);
    expect(((await conflicts.json()) as { conflicts: unknown[] }).conflicts.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes("sync run finished"))).toBe(true);
    // The client secret came from the simulator's Key Vault, as it does from Key Vault in Azure.
    expect(running.stack.env.KEY_VAULT_URL).toBe(running.stack.standIns.dataverse.keyVaultUrl);
    expect(running.stack.standIns.dataverse.counters().byKind.keyvault).toBeGreaterThan(0);

    await running.stop();
    await expect(fetch(`${base}/api/sync/configs`)).rejects.toThrow();
    running = undefined;
  });
});

test("with only simulators, a persisted Azurite starts from empty state, like the simulators", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azurite-"));
  writeFileSync(join(dir, "stale-state"), "from an earlier session");
  const running = await startLocal({ port: 0, persist: true, azuriteDir: dir, dataset: { seed: 6, people: 8 }, settings: {}, log: () => undefined });
  try {
    expect(running.stack.freshState).toBe(true);
    expect(existsSync(join(dir, "stale-state"))).toBe(false);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    expect(running.summary).toContain(`Azurite, data in ${dir} (cleared at start`);
  } finally {
    await running.stop();
  }
});

test("a configured endpoint is used instead of its stand-in, as a group; UseDevelopmentStorage=true means the local Azurite", async () => {
  const stack = await startLocalStack({
    persist: false,
    configured: {
      MEANDER_API_URL: "https://sync.meander.example.org",
      MEANDER_API_SCOPE: "api://meander-prod/.default",
      DATAVERSE_CLIENT_ID: "99999999-9999-4999-8999-999999999999",
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
    },
  });
  try {
    expect(stack.env).toMatchObject({ MEANDER_API_URL: "https://sync.meander.example.org", MEANDER_API_SCOPE: "api://meander-prod/.default" });
    expect(stack.usingStandIn).toEqual({ dataverse: true, meander: false, storage: true });
    expect(stack.env.DATAVERSE_URL).toBe(stack.standIns.dataverse.url);
    // A value set for a stand-in system is kept (here a client id the simulator does not know).
    expect(stack.env.DATAVERSE_CLIENT_ID).toBe("99999999-9999-4999-8999-999999999999");
    expect(stack.env.AzureWebJobsStorage).toMatch(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/);
  } finally {
    await stack.close();
  }
});

test("local.settings.example.json points at the stand-ins `npm start -- --stand-ins-only` serves", () => {
  const { Values } = JSON.parse(readFileSync(new URL("../../local.settings.example.json", import.meta.url), "utf8")) as { Values: Record<string, string> };
  const dataverse = `https://127.0.0.1:${STAND_IN_PORTS.dataverse}`;
  expect(Values).toMatchObject({
    DATAVERSE_URL: dataverse,
    DATAVERSE_AUTHORITY_HOST: dataverse,
    KEY_VAULT_URL: dataverse,
    DATAVERSE_TENANT_ID: DEFAULT_TENANT_ID,
    DATAVERSE_CLIENT_ID: LOCAL_CLIENT.clientId,
    DATAVERSE_CLIENT_SECRET: LOCAL_CLIENT.clientSecret,
    DATAVERSE_CLIENT_SECRET_NAME: LOCAL_SECRET_NAME,
    MEANDER_API_URL: `http://127.0.0.1:${STAND_IN_PORTS.meander}`,
    MEANDER_API_SCOPE: MEANDER_SCOPE,
  });
});

test("a taken port moves both simulators to free ports, leaving nothing half-started", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => {
    blocker.once("error", () => resolve());
    blocker.listen(STAND_IN_PORTS.meander, "127.0.0.1", () => resolve());
  });
  try {
    const stack = await startLocalStack({ persist: false, configured: { AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING } });
    try {
      expect(stack.standIns.meander.url).not.toContain(`:${STAND_IN_PORTS.meander}`);
      expect(stack.standIns.dataverse.url).not.toContain(`:${STAND_IN_PORTS.dataverse}`);
      expect(stack.env.MEANDER_API_URL).toBe(stack.standIns.meander.url);
    } finally {
      await stack.close();
    }
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

describe("npm run sync", () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), dataset, settings: settings() } };
  };

  test("a dry run: the SyncResult as JSON on stdout, progress on stderr, exit 0", async () => {
    const { out, err, io: cli } = io();
    expect(await runSyncCli(["likepersons", "--dry-run"], cli)).toBe(0);
    const result = JSON.parse(out.join("")) as { configId: string; dryRun: boolean; trigger: string; plan?: unknown };
    expect(result).toMatchObject({ configId: "likepersons", dryRun: true, trigger: "cli" });
    expect(result.plan).toBeDefined();
    expect(err.join("")).toContain("sync run finished");
  });

  test("an unknown config: exit 2, nothing on stdout", async () => {
    const { out, err, io: cli } = io();
    expect(await runSyncCli(["nosuch"], cli)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join("")).toContain("UNKNOWN_CONFIG");
  });

  test.each([[[]], [["a", "b"]], [["likepersons", "--bogus"]]])("bad usage %j: exit 2 with the usage line", async (argv) => {
    const { err, io: cli } = io();
    expect(await runSyncCli(argv, cli)).toBe(2);
    expect(err.join("")).toContain("usage: npm run sync -- <configId> [--dry-run]");
  });
});
