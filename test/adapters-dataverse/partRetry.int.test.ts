/**
 * A $batch answered with some parts failed: transient parts are sent again after a
 * wait (their Retry-After, else a backoff), record failures are those records'
 * outcomes and never sent again, and every record ends written exactly once. The
 * waits are read off the simulator's own request log (when the first batch was
 * answered, when the second arrived), not off the test's clock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import type { LoggedRequest } from "../../sim/dataverse/index.js";
import { guid, type Harness, startHarness } from "./harness.js";

/** Timer granularity: a wait of N ms can end a millisecond or two early by the other clock. */
const SLACK_MS = 25;

const batches = (log: LoggedRequest[]) => log.filter((r) => r.method === "POST" && r.path === "$batch");
const gapBetweenBatches = (log: LoggedRequest[]) => {
  const [first, second] = batches(log);
  return second!.arrivedAt - first!.answeredAt;
};

describe("DataverseSide.write: failed parts of an answered batch", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.sim.close());
  beforeEach(() => {
    h.sim.plugins.clear();
    h.sim.faults.clear();
    h.sim.store.seed(
      "contacts",
      [1, 2, 3, 4, 5].map((n) => ({ contactid: guid(n), firstname: `F${n}`, lastname: "L" })),
    );
  });

  const etagOf = async (side: ReturnType<Harness["side"]>, n: number) => (await side.getByIds("contacts", [guid(n)]))[0]!.version!;

  it("throttled parts wait their Retry-After; 400, 412 and a plug-in's 500 are those records' outcomes, not retried; each record written once", async () => {
    h.sim.plugins.failRecords({ entitySet: "contacts", when: (row) => row.firstname === "Bad" });
    const side = h.side();
    const ops: WriteOp[] = [
      { op: "update", ref: "throttled-a", id: guid(4), ifMatch: await etagOf(side, 4), data: { firstname: "A" } },
      { op: "update", ref: "throttled-b", id: guid(5), ifMatch: await etagOf(side, 5), data: { firstname: "B" } },
      { op: "update", ref: "ok", id: guid(1), ifMatch: await etagOf(side, 1), data: { firstname: "Fine" } },
      { op: "update", ref: "stale", id: guid(2), ifMatch: 'W/"999999"', data: { firstname: "Late" } },
      { op: "create", ref: "created", data: { firstname: "New" }, upsertKey: { field: "hlf_meanderid", value: "part-new-1" } },
      { op: "create", ref: "bad-column", data: { firstname: "X", hlf_nosuchcolumn: 1 } },
      { op: "update", ref: "plugin", id: guid(3), data: { firstname: "Bad" } },
    ];
    // The first two operations of the batch are throttled; Dataverse asks for 1 s.
    h.sim.faults.failParts(2, { status: 429, retryAfterSeconds: 1 });
    h.sim.resetCounters();
    const outcomes = new Map((await side.write("contacts", ops)).map((o) => [o.ref, o]));

    const code = (ref: string) => {
      const o = outcomes.get(ref)!;
      return o.ok ? "ok" : `${o.error.kind}:${o.error.code}`;
    };
    expect(["throttled-a", "throttled-b", "ok", "created"].map(code)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(code("stale")).toBe("record:PRECONDITION_FAILED");
    expect(code("bad-column")).toBe("record:BAD_REQUEST");
    expect(code("plugin")).toBe("record:PLUGIN_ERROR");

    const counters = h.sim.counters();
    const log = h.sim.requestLog();
    // Two batches: all seven parts, then the two throttled ones alone.
    expect(batches(log)).toHaveLength(2);
    expect(counters.batchOperations).toBe(9);
    expect(gapBetweenBatches(log)).toBeGreaterThanOrEqual(1000 - SLACK_MS);
    expect(counters.retryAfterViolations).toBe(0);
    // Written exactly once each: the four that succeeded, nothing twice, nothing for the failed.
    expect(counters.recordsWritten).toBe(4);
    expect(counters.noopWrites).toBe(0);
    expect(h.sim.store.get("contacts", guid(4))!.firstname).toBe("A");
    expect(h.sim.store.get("contacts", guid(2))!.firstname).toBe("F2");
    expect(h.sim.store.list("contacts").filter((r) => r.hlf_meanderid === "part-new-1")).toHaveLength(1);
  });

  it("a part answered 503 without Retry-After is sent again after a backoff (at least half the base delay), not at once", async () => {
    const side = h.side({ resilience: { baseDelayMs: 300, maxDelayMs: 2000 } });
    const ops: WriteOp[] = [1, 2, 3].map((n) => ({ op: "update", ref: `u${n}`, id: guid(n), data: { lastname: `Backoff ${n}` } }));
    h.sim.faults.failParts(1, { status: 503, match: (_method, path) => path.startsWith(`contacts(${guid(2)})`) });
    h.sim.resetCounters();
    const outcomes = await side.write("contacts", ops);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const log = h.sim.requestLog();
    expect(batches(log)).toHaveLength(2);
    expect(gapBetweenBatches(log)).toBeGreaterThanOrEqual(150 - SLACK_MS);
    expect(h.sim.counters().recordsWritten).toBe(3);
    expect(h.sim.counters().batchOperations).toBe(4);
  });

  it("a part throttled for execution time (0x80072321) waits its Retry-After too", async () => {
    const side = h.side();
    const ops: WriteOp[] = [1, 2].map((n) => ({ op: "update", ref: `u${n}`, id: guid(n), data: { lastname: `Execution ${n}` } }));
    h.sim.faults.failParts(1, { status: 429, code: "0x80072321", retryAfterSeconds: 1 });
    h.sim.resetCounters();
    const outcomes = await side.write("contacts", ops);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const log = h.sim.requestLog();
    expect(batches(log)).toHaveLength(2);
    expect(gapBetweenBatches(log)).toBeGreaterThanOrEqual(1000 - SLACK_MS);
    expect(h.sim.counters().recordsWritten).toBe(2);
  });
});
