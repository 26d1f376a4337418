/**
 * Calls in flight capped at min(SYNC_PORTAL_CONCURRENCY, the x-ms-dop-hint last seen),
 * measured where it matters: the most Web API requests the simulator had in flight at
 * once. The hint is read off responses the run makes anyway, never by an extra request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import { startHarness as startStack } from "../sync/harness.js";
import { collect, guid, type Harness, startHarness, webApiRequests } from "./harness.js";

const upserts = (n: number, prefix: string): WriteOp[] =>
  Array.from({ length: n }, (_, i) => ({
    op: "create",
    ref: `${prefix}${i}`,
    data: { hlf_meanderid: `${prefix}${i}`, hlf_hours: i },
    upsertKey: { field: "hlf_meanderid", value: `${prefix}${i}` },
  }));

describe("x-ms-dop-hint caps the Dataverse calls in flight", () => {
  let h: Harness;
  beforeAll(async () => {
    // Each request costs server time, so parallel batches overlap in the simulator.
    h = await startHarness({ latencyMs: 25 });
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 30 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}` })),
    );
  });
  afterAll(() => h.sim.close());

  /** Twelve batches written at once and a paged read beside them, as a run's write phase. */
  const burst = async (concurrency: number, prefix: string) => {
    const side = h.side({ batchSize: 5, resilience: { concurrency, baseDelayMs: 10, maxDelayMs: 200 } });
    h.sim.resetCounters();
    const [outcomes, pages] = await Promise.all([
      side.write("hlf_likepersonactivities", upserts(60, prefix)),
      collect(side.readChanges("contacts", undefined, { pageSize: 10 })),
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(pages.flatMap((p) => p.records)).toHaveLength(30);
    const counters = h.sim.counters();
    // The hint costs no request: 12 batches and 3 pages (a delta link comes with the last).
    expect(webApiRequests(counters)).toBe(15);
    return counters.maxConcurrentSeen;
  };

  it("the setting alone when the hint allows more (control: the burst does reach 8)", async () => {
    h.sim.setDopHint(8);
    expect(await burst(8, "free-")).toBeGreaterThan(3);
  });

  it("hint 2 with SYNC_PORTAL_CONCURRENCY 8: at most 2 in flight", async () => {
    h.sim.setDopHint(2);
    const seen = await burst(8, "hint2-");
    expect(seen).toBeLessThanOrEqual(2);
    expect(seen).toBe(2);
  });

  it("hint 8 with SYNC_PORTAL_CONCURRENCY 3: at most 3 in flight", async () => {
    h.sim.setDopHint(8);
    const seen = await burst(3, "set3-");
    expect(seen).toBeLessThanOrEqual(3);
    expect(seen).toBe(3);
  });

  it("follows the hint as it moves: down to 1, back up to 6 on the same client", async () => {
    const side = h.side({ batchSize: 5, resilience: { concurrency: 8, baseDelayMs: 10, maxDelayMs: 200 } });
    h.sim.setDopHint(1);
    h.sim.resetCounters();
    expect((await side.write("hlf_likepersonactivities", upserts(40, "down-"))).every((o) => o.ok)).toBe(true);
    expect(h.sim.counters().maxConcurrentSeen).toBe(1);
    h.sim.setDopHint(6);
    h.sim.resetCounters();
    expect((await side.write("hlf_likepersonactivities", upserts(60, "up-"))).every((o) => o.ok)).toBe(true);
    const seen = h.sim.counters().maxConcurrentSeen;
    expect(seen).toBeGreaterThan(1);
    expect(seen).toBeLessThanOrEqual(6);
  });
});

describe("a whole run against an environment that asks for 2 in parallel", () => {
  it("never has more than 2 Web API requests in flight, with SYNC_PORTAL_CONCURRENCY 8", { timeout: 60_000 }, async () => {
    const h = await startStack({
      dataset: { seed: 13, people: 60, overlap: 0.5, portalOnlyMembers: 5 },
      dataverse: { dopHint: 2, latencyMs: 15 },
      settings: { SYNC_PORTAL_CONCURRENCY: "8", SYNC_PORTAL_BATCH_SIZE: "5" },
    });
    try {
      const result = await h.service.runSync("likepersons", { trigger: "timer" });
      expect(result.status).toBe("succeeded");
      const counters = h.dataverse.counters();
      expect(counters.byKind.batch).toBeGreaterThan(2);
      expect(counters.maxConcurrentSeen).toBeLessThanOrEqual(2);
    } finally {
      await h.close();
    }
  });
});
