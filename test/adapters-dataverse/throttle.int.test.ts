import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import { collect, guid, type Harness, startHarness, webApiRequests } from "./harness.js";

const upserts = (n: number, prefix: string): WriteOp[] =>
  Array.from({ length: n }, (_, i) => ({
    op: "create",
    ref: `${prefix}${i}`,
    data: { hlf_meanderid: `${prefix}${i}`, hlf_hours: i },
    upsertKey: { field: "hlf_meanderid", value: `${prefix}${i}` },
  }));

describe("service protection limits", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ limits: { requestsPerWindow: 5, windowMs: 500, maxConcurrent: 52 } });
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 40 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}` })),
    );
  });
  afterAll(() => h.sim.close());

  const storm = async (prefix: string, concurrency: number) => {
    const throttled: number[] = [];
    const side = h.side({ batchSize: 10, resilience: { concurrency, baseDelayMs: 10, maxDelayMs: 200 }, events: { onThrottle: (ms) => throttled.push(ms) } });
    h.sim.resetCounters();
    const [outcomes, pages] = await Promise.all([
      side.write("hlf_likepersonactivities", upserts(60, prefix)),
      collect(side.readChanges("contacts", undefined, { pageSize: 5 })),
    ]);
    const counters = h.sim.counters();
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(pages.flatMap((p) => p.records)).toHaveLength(40);
    expect(counters.throttled).toBeGreaterThan(0);
    expect(throttled.length).toBeGreaterThan(0);
    // Every record applied exactly once, however often its batch was throttled.
    expect(counters.byKind.upsert).toBe(60);
    expect(counters.noopWrites).toBe(0);
    return counters;
  };

  it("a 429 storm is survived with zero Retry-After violations, one request at a time", async () => {
    const counters = await storm("storm-", 1);
    expect(counters.retryAfterViolations).toBe(0);
  }, 30_000);

  it("with up to 8 requests in flight the storm is survived too, with zero Retry-After violations", async () => {
    // Nothing is sent while the gate is closed (the last check is in onTokenRefresh, right
    // before the client writes the request), and after a 429 one request goes first
    // (SlowStart), so no burst is on its way when the next 429 comes.
    const counters = await storm("storm8-", 8);
    expect(counters.retryAfterViolations).toBe(0);
  }, 30_000);
});

describe("injected faults", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 10 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}` })),
    );
  });
  afterAll(() => h.sim.close());

  it("waits out injected 429s with Retry-After, and never sends early", async () => {
    const side = h.side();
    h.sim.resetCounters();
    h.sim.faults.failNext(2, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const pages = await collect(side.readChanges("contacts", undefined));
    expect(pages.flatMap((p) => p.records)).toHaveLength(10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1950);
    expect(h.sim.counters().retryAfterViolations).toBe(0);
  }, 20_000);

  it("backs off 5xx and dropped connections and then succeeds; a batch that was never answered is sent once more only", async () => {
    // A dropped connection is only noticed at the attempt deadline (dynamics-web-api never settles it).
    const side = h.side({ timeoutMs: 1000 });
    h.sim.resetCounters();
    h.sim.faults.failNext(2, { status: 503 });
    h.sim.faults.failNext(1, { drop: true });
    const outcomes = await side.write("hlf_likepersonactivities", upserts(20, "flaky-"));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(h.sim.counters().byKind.upsert).toBe(20);
    expect(h.sim.counters().noopWrites).toBe(0);
    expect(h.sim.store.list("hlf_likepersonactivities").filter((r) => String(r["hlf_meanderid"]).startsWith("flaky-"))).toHaveLength(20);
  });

  it("a batch applied but never answered is read back, not sent again: no repeated write, no second record", async () => {
    const retries: string[] = [];
    const side = h.side({ timeoutMs: 1000, events: { onRetry: (_attempt, _delay, code) => retries.push(code) } });
    const before = await side.getByIds("contacts", [guid(1), guid(2)]);
    const version = (id: string) => before.find((r) => r.id === id)!.version!;
    h.sim.resetCounters();
    h.sim.faults.failNext(1, { drop: "afterProcessing", match: (method, path) => method === "POST" && path.endsWith("$batch") });
    const outcomes = await side.write("contacts", [
      { op: "update", ref: "u", id: guid(1), ifMatch: version(guid(1)), data: { firstname: "Applied once" } },
      { op: "delete", ref: "d", id: guid(2), ifMatch: version(guid(2)) },
      { op: "create", ref: "k", data: { firstname: "Keyed" }, upsertKey: { field: "hlf_meanderid", value: "lost-1" } },
      { op: "create", ref: "p", data: { firstname: "No key" } },
    ]);
    const counters = h.sim.counters();
    // Operators see it as a retry, with its cause.
    expect(retries).toEqual(["NETWORK"]);
    expect(outcomes.slice(0, 3).map((o) => o.ok)).toEqual([true, true, true]);
    expect(outcomes[3]).toMatchObject({ ok: false, error: { kind: "transient", code: "AMBIGUOUS_CREATE" } });
    expect(counters.byKind.batch).toBe(1);
    expect(counters.noopWrites).toBe(0);
    expect(h.sim.store.get("contacts", guid(1))?.["firstname"]).toBe("Applied once");
    expect(h.sim.store.list("contacts").filter((r) => r["firstname"] === "No key")).toHaveLength(1);
    const keyed = outcomes[2]!;
    expect(keyed.ok && h.sim.store.get("contacts", keyed.id)?.["hlf_meanderid"]).toBe("lost-1");
    // The read-back also gives the new ETag of what was applied.
    expect(outcomes[0]!.ok && outcomes[0]!.version).toBe(h.sim.store.get("contacts", guid(1)) && (await side.getByIds("contacts", [guid(1)]))[0]!.version);
  });

  it("never retries 400/403/404/412", async () => {
    const side = h.side();
    for (const status of [400, 403, 404, 412]) {
      h.sim.resetCounters();
      h.sim.faults.failNext(1, { status });
      await expect(side.getByIds("contacts", [guid(1)])).rejects.toMatchObject({ status });
      expect(webApiRequests(h.sim.counters())).toBe(1);
    }
  });

  it("gives every record of a batch that stays unavailable a transient error instead of throwing", async () => {
    const side = h.side({ resilience: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    h.sim.faults.failNext(2, { status: 500 });
    const outcomes = await side.write("hlf_likepersonactivities", upserts(3, "down-"));
    expect(outcomes.map((o) => !o.ok && o.error.kind)).toEqual(["transient", "transient", "transient"]);
  });
});
