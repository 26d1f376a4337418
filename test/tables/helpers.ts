import { randomBytes } from "node:crypto";
import { createTables, type Tables, type TablesOptions } from "../../shared/adapters/tables/index.js";
import { emptyCounts, type SyncRun } from "../../shared/core/types.js";

/** Fresh tables on the test run's Azurite, under a prefix no other test file uses. */
export async function freshTables(options: Partial<TablesOptions> = {}): Promise<Tables> {
  const connectionString = process.env.AZURITE_CONNECTION_STRING;
  if (!connectionString) throw new Error("AZURITE_CONNECTION_STRING is not set: the vitest global setup starts Azurite");
  const tables = createTables({ connectionString, prefix: `t${randomBytes(5).toString("hex")}`, ...options });
  await tables.ensureTables();
  return tables;
}

/** A manual clock for lease expiry. */
export function manualClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

export function sampleRun(overrides: Partial<SyncRun> = {}): SyncRun {
  return {
    runId: "r1",
    configId: "likepersons",
    trigger: "timer",
    dryRun: false,
    status: "succeeded",
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:05.000Z",
    durationMs: 5000,
    counts: { meander: { ...emptyCounts(), read: 3, updated: 1 }, portal: { ...emptyCounts(), read: 2, created: 1 } },
    conflicts: { found: 1, autoResolved: 1, resolved: 0, open: 0 },
    ledger: { size: 0, retried: 0, recovered: 0 },
    errors: [],
    errorCount: 0,
    notes: [],
    ...overrides,
  };
}
