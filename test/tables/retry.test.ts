import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTables, type Tables } from "../../shared/adapters/tables/index.js";
import { TransientError } from "../../shared/errors.js";
import { freshTables, sampleRun } from "./helpers.js";
import { holdingProxy } from "./proxy.js";

const busy = (code: string) => ({
  status: 503,
  headers: { "x-ms-error-code": code, "retry-after": "0" },
  body: JSON.stringify({ "odata.error": { code, message: { lang: "en-US", value: "The server is busy." } } }),
});

let tables: Tables;
let faults: ("busy" | "drop")[] = [];
let proxy: Awaited<ReturnType<typeof holdingProxy>>;
let viaProxy: Tables;

beforeAll(async () => {
  tables = await freshTables();
  await tables.runs.saveRun(sampleRun({ runId: "r-retry" }));
  proxy = await holdingProxy(process.env.AZURITE_CONNECTION_STRING ?? "", {
    fake: () => {
      const fault = faults.shift();
      return fault === "busy" ? busy("ServerBusy") : fault;
    },
  });
  const prefix = tables.tableNames.runs.slice(0, -"runs".length);
  viaProxy = createTables({ connectionString: proxy.connectionString, prefix, resilience: { baseDelayMs: 1, maxDelayMs: 5 } });
});
afterAll(async () => {
  await proxy?.close();
});

describe("Table Storage failures", () => {
  it("names a missing table as a fatal error that says what to do", async () => {
    const missing = createTables({ connectionString: process.env.AZURITE_CONNECTION_STRING ?? "", prefix: "nosuchprefix" });
    const failure = await missing.runs.getRun("likepersons", "r-1").catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: "fatal", code: "TABLES_TABLE_NOT_FOUND", status: 404 });
    expect(missing.counters.reads).toBe(1);
  });

  it("retries 503 and dropped connections, counting every attempt", async () => {
    faults = ["busy", "drop"];
    const before = viaProxy.counters.reads;
    expect((await viaProxy.runs.getRun("likepersons", "r-retry"))?.runId).toBe("r-retry");
    // Index row: busy, dropped, then read; run row: read.
    expect(viaProxy.counters.reads - before).toBe(4);
  });

  it("gives up after the policy's attempts with a TransientError that names the table, not the payload", async () => {
    faults = Array.from({ length: 5 }, () => "busy" as const);
    const failure = await viaProxy.runs.getRun("likepersons", "r-retry").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as TransientError).message).toBe(`table ${viaProxy.tableNames.runs}: reads failed with 503 ServerBusy`);
    expect(faults).toEqual([]);
  });

  it("retries a failed transaction as a whole", async () => {
    faults = ["busy"];
    const before = viaProxy.counters.transactions;
    await viaProxy.runs.saveRun(sampleRun({ runId: "r-tx", startedAt: "2026-01-02T00:00:00.000Z" }));
    expect(viaProxy.counters.transactions - before).toBe(2);
    expect((await tables.runs.listRuns("likepersons", 5)).map((r) => r.runId)).toEqual(["r-tx", "r-retry"]);
  });
});
