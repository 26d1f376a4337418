/**
 * The client under throttling, server errors, dropped connections, slow answers and
 * version conflicts, against the simulator's rate limiter and fault injection.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MeanderSide, type MeanderSideOptions } from "../../shared/adapters/meander/index.js";
import { TransientError } from "../../shared/errors.js";
import type { ChangePage } from "../../shared/ports.js";
import { type MeanderSim, type MeanderSimOptions, startMeanderSim } from "../../sim/meander/index.js";
import { contractChecker, fastRetries, likeperson, SCOPE, staticTokens, TOKEN } from "./support.js";

let sim: MeanderSim | undefined;
const checker = contractChecker();

async function setup(simOptions: MeanderSimOptions = {}, sideOptions: Partial<MeanderSideOptions> = {}) {
  sim = await startMeanderSim({ limits: false, observe: checker.observe, ...simOptions });
  sim.store.seed(
    "likepersons",
    Array.from({ length: 40 }, (_, i) => likeperson(i)),
  );
  const retries: number[] = [];
  const codes: string[] = [];
  const throttles: number[] = [];
  const side = new MeanderSide({
    baseUrl: sim.url,
    tokenSource: staticTokens(),
    scope: SCOPE,
    resilience: fastRetries,
    events: {
      onRetry: (attempt, _delay, code) => {
        retries.push(attempt);
        codes.push(code);
      },
      onThrottle: (ms) => throttles.push(ms),
    },
    ...sideOptions,
  });
  return { sim, side, retries, codes, throttles };
}

const drain = async (iterable: AsyncIterable<ChangePage>) => {
  const pages: ChangePage[] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
};

afterEach(async () => {
  await sim?.close();
  sim = undefined;
  expect(checker.problems).toEqual([]);
});

describe("Meander client resilience", () => {
  it("waits out 429 Retry-After under load and never sends early", async () => {
    const { sim, side, throttles } = await setup({ limits: { requestsPerWindow: 3, windowMs: 1000 } }, { concurrency: 4, pageSize: 5 });
    const started = Date.now();
    const [pages, records] = await Promise.all([
      drain(side.readChanges("likepersons", undefined)),
      side.getByIds(
        "likepersons",
        Array.from({ length: 40 }, (_, i) => likeperson(i).id),
      ),
    ]);
    expect(pages.flatMap((p) => p.records)).toHaveLength(40);
    expect(records).toHaveLength(40);
    const counters = sim.counters();
    expect(counters.throttled).toBeGreaterThan(0);
    expect(throttles.length).toBeGreaterThan(0);
    expect(counters.retryAfterViolations).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("counts a client that ignores Retry-After as a violation", async () => {
    const { sim } = await setup({ limits: { requestsPerWindow: 1, windowMs: 60_000, retryAfterSeconds: 5 }, violationGraceMs: 20 });
    const get = () => fetch(`${sim.url}/sync/v1/likepersons/changes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    await new Promise((r) => setTimeout(r, 30));
    expect((await get()).status).toBe(429);
    expect(sim.counters()).toMatchObject({ throttled: 2, retryAfterViolations: 1 });
  });

  it("honours Retry-After on an injected 503 too", async () => {
    const { sim, side } = await setup();
    sim.faults.failNext(1, { status: 503, retryAfterSeconds: 1, match: "lookup" });
    const started = Date.now();
    const [found] = await Promise.all([side.findByField("likepersons", "memberNumber", ["1001"]), side.getByIds("likepersons", ["lp-0002"])]);
    expect(found.map((r) => r.id)).toEqual(["lp-0001"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(sim.counters().retryAfterViolations).toBe(0);
  });

  it("retries 5xx answers with backoff", async () => {
    const { sim, side, retries } = await setup({}, { pageSize: 20 });
    sim.faults.failNext(2, { status: 500, match: "changes" });
    sim.faults.failNext(1, { status: 502, match: "batch" });
    const pages = await drain(side.readChanges("likepersons", undefined));
    expect(pages.flatMap((p) => p.records)).toHaveLength(40);
    const [outcome] = await side.write("likepersons", [{ op: "update", ref: "a", id: "lp-0001", data: { chapter: "HLF Hamar" } }]);
    expect(outcome).toMatchObject({ ok: true });
    expect(retries).toHaveLength(3);
    expect(sim.counters().byKind).toMatchObject({ changes: 4, batch: 2 });
  });

  it("survives dropped connections without applying a batch twice", async () => {
    const { sim, side } = await setup();
    sim.faults.failNext(1, { drop: true, match: "batch" });
    sim.faults.failNext(1, { drop: "afterProcessing", match: "batch" });
    const first = await side.write("likepersons", [{ op: "create", ref: "n1", data: { firstName: "Ny", lastName: "Likeperson" } }]);
    expect(first[0]).toMatchObject({ ok: true });
    const second = await side.write("likepersons", [{ op: "create", ref: "n2", data: { firstName: "Nyere", lastName: "Likeperson" } }]);
    expect(second[0]).toMatchObject({ ok: true });
    const created = sim.store.list("likepersons").filter((r) => r.data.lastName === "Likeperson");
    expect(created.map((r) => r.data.firstName).sort()).toEqual(["Ny", "Nyere"]);
    expect(sim.counters()).toMatchObject({ recordsWritten: 2, byKind: { batch: 4 } });
    sim.faults.failNext(1, { drop: true, match: "changes" });
    expect((await drain(side.readChanges("likepersons", undefined))).flatMap((p) => p.records)).toHaveLength(42);
  });

  it("retries an answer that does not come within the request timeout", async () => {
    const { sim, side, codes } = await setup({}, { requestTimeoutMs: 300 });
    sim.faults.failNext(1, { delayMs: 1500, match: "records" });
    const records = await side.getByIds("likepersons", ["lp-0003"]);
    expect(records.map((r) => r.id)).toEqual(["lp-0003"]);
    expect(codes[0]).toBe("TIMEOUT");
    expect(sim.counters().byKind.records).toBeGreaterThanOrEqual(2);
  });

  it("fails only the operation whose version changed (412), the others succeed", async () => {
    const { sim, side } = await setup();
    const versions = ["lp-0001", "lp-0002", "lp-0003"].map((id) => sim.store.get("likepersons", id)!.version);
    sim.store.edit("likepersons", "lp-0002", { chapter: "HLF Molde" });
    const outcomes = await side.write(
      "likepersons",
      ["lp-0001", "lp-0002", "lp-0003"].map((id, i) => ({ op: "update" as const, ref: id, id, ifMatch: versions[i], data: { chapter: "HLF Drammen" } })),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { kind: "record", code: "PRECONDITION_FAILED", status: 412 } });
    expect(sim.store.get("likepersons", "lp-0002")!.data.chapter).toBe("HLF Molde");
    expect(sim.store.get("likepersons", "lp-0003")!.data.chapter).toBe("HLF Drammen");
    const [staleDelete] = await side.write("likepersons", [{ op: "delete", ref: "d", id: "lp-0002", ifMatch: versions[1] }]);
    expect(staleDelete).toMatchObject({ ok: false, error: { code: "PRECONDITION_FAILED" } });
    expect(sim.store.get("likepersons", "lp-0002")).toBeDefined();
  });

  it("gives up after the attempts: writes report transient outcomes, reads throw", async () => {
    const { sim, side } = await setup({}, { resilience: { ...fastRetries, maxAttempts: 2 } });
    sim.faults.failNext(4, { status: 503 });
    const outcomes = await side.write("likepersons", [
      { op: "update", ref: "a", id: "lp-0001", data: { chapter: "HLF Alta" } },
      { op: "update", ref: "b", id: "lp-0002", data: { chapter: "HLF Alta" } },
    ]);
    expect(outcomes).toEqual([
      { ref: "a", ok: false, error: { kind: "transient", code: "INJECTED_FAULT", status: 503, message: expect.stringContaining("HTTP 503") } },
      { ref: "b", ok: false, error: { kind: "transient", code: "INJECTED_FAULT", status: 503, message: expect.stringContaining("HTTP 503") } },
    ]);
    await expect(drain(side.readChanges("likepersons", undefined))).rejects.toBeInstanceOf(TransientError);
    expect(sim.counters().recordsWritten).toBe(0);
  });

  it("keeps requests in flight within the configured concurrency", async () => {
    let inFlight = 0;
    let peak = 0;
    const { side } = await setup({ latencyMs: 20 }, { concurrency: 3 });
    const originalFetch = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await originalFetch(...args);
      } finally {
        inFlight -= 1;
      }
    };
    try {
      const values = Array.from({ length: 1000 }, (_, i) => String(900_000 + i));
      await side.findByField("likepersons", "memberNumber", values);
    } finally {
      globalThis.fetch = originalFetch;
    }
    expect(peak).toBe(3);
  });
});
