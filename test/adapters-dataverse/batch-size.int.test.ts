/**
 * The measurement behind DEFAULT_BATCH_SIZE: wall time and requests for writing
 * N records at several batch sizes, under the simulator's cost model (a fixed
 * cost per request plus a cost per record, records of one batch run in sequence
 * as Dataverse runs them). Costs are Dataverse's scaled down tenfold (~200 ms
 * per request, ~20 ms per record) to keep the test short; only their ratio shapes
 * the result. The table is printed; the assertions are on requests and records.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BATCH_SIZE } from "../../shared/adapters/dataverse/index.js";
import type { WriteOp } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

/** The likeperson population with the full range of sizes, and a backlog of activity reports around the sweet spot. */
const RUNS: readonly { n: number; sizes: readonly number[] }[] = [
  { n: 600, sizes: [25, 50, DEFAULT_BATCH_SIZE, 250, 500] },
  { n: 2000, sizes: [50, DEFAULT_BATCH_SIZE, 250] },
];

describe("batch size measured against the simulator's cost model", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ latencyMs: 20, perRecordMs: 2 });
  });
  afterAll(() => h.sim.close());

  it("writes every record once in ceil(N / size) requests at each size", async () => {
    const rows: string[] = [];
    let run = 0;
    for (const { n, sizes } of RUNS) {
      const timings = new Map<number, number>();
      for (const size of sizes) {
        run += 1;
        const ops: WriteOp[] = Array.from({ length: n }, (_, i) => ({
          op: "create",
          ref: `${i}`,
          data: { hlf_meanderid: `b${run}-${i}`, hlf_hours: i },
          upsertKey: { field: "hlf_meanderid", value: `b${run}-${i}` },
        }));
        const side = h.side({ batchSize: size, timeoutMs: 30_000 });
        // As in a run, reads come first: the token is fetched and slow start is open to 8.
        for (let i = 0; i < 4; i++) await side.client.call("warm-up", (api) => api.callFunction("WhoAmI"));
        h.sim.resetCounters();
        const started = performance.now();
        const outcomes = await side.write("hlf_likepersonactivities", ops);
        timings.set(size, performance.now() - started);
        const counters = h.sim.counters();
        expect(outcomes.every((o) => o.ok)).toBe(true);
        expect(counters.byKind.batch).toBe(Math.ceil(n / size));
        expect(counters.byKind.upsert).toBe(n);
        // The bulkhead: never more than 8 requests in flight (Dataverse allows 52).
        expect(counters.maxConcurrentSeen).toBeLessThanOrEqual(8);
        rows.push(
          `N=${n} size=${size}: ${Math.round(timings.get(size)!)} ms, ${counters.byKind.batch} requests, ${counters.maxConcurrentSeen} in flight at most`,
        );
      }
      const best = Math.min(...timings.values());
      rows.push(`N=${n}: default ${DEFAULT_BATCH_SIZE} at ${(timings.get(DEFAULT_BATCH_SIZE)! / best).toFixed(2)}x the fastest`);
    }
    console.info(`batch size measurement (concurrency 8, 20 ms/request, 2 ms/record):\n${rows.join("\n")}`);
  }, 60_000);
});
