/** Exactly one run per config: concurrent starts, a stalled run that lost its lease, the time budget. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlreadyRunningError } from "../../shared/errors.js";
import { type Harness, shiftableClock, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 21, people: 30, overlap: 0.7, portalOnlyMembers: 5 };

describe("one run per config", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ dataset: DATASET });
  });
  afterAll(async () => h?.close());

  it("twenty concurrent starts: exactly one runs, the others answer 'already running' with its id", async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => h.service.runSync(L, { trigger: "manual" })));
    const ran = outcomes.filter((o) => o.status === "fulfilled");
    expect(ran).toHaveLength(1);
    const winner = (ran[0] as PromiseFulfilledResult<{ runId: string }>).value.runId;
    for (const o of outcomes.filter((x) => x.status === "rejected")) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyRunningError);
      expect((o as PromiseRejectedResult).reason.runningRunId).toBe(winner);
    }
    expect(await h.service.getSyncHistory(L, 50)).toHaveLength(1);
  });
});

describe("a stalled run that lost its lease", () => {
  it("writes nothing after the new owner took over, and says so", async () => {
    const clock = shiftableClock();
    let stall = false;
    let release: () => void = () => {};
    let stalled: () => void = () => {};
    const reached = new Promise<void>((r) => {
      stalled = r;
    });
    const h = await startHarness({
      dataset: DATASET,
      settings: { SYNC_PAGE_SIZE: "10", SYNC_LEASE_SECONDS: "30" },
      overrides: {
        clock,
        pause: (point) => {
          if (!stall || point !== "after-read-held") return;
          stall = false;
          stalled();
          return new Promise<void>((r) => {
            release = r;
          });
        },
      },
    });
    try {
      stall = true;
      const old = h.service.runSync(L, { trigger: "timer" });
      await reached;
      clock.shift(31_000);
      const taker = await h.service.runSync(L, { trigger: "timer" });
      expect(taker.status).toBe("succeeded");
      expect(taker.notes.join(" ")).toContain("without releasing its lease");
      h.dataverse.resetCounters();
      h.meander.resetCounters();
      release();
      const result = await old;
      expect(result.status).toBe("failed");
      expect(result.errors.map((e) => e.code)).toContain("LEASE_LOST");
      expect(h.dataverse.counters().recordsWritten).toBe(0);
      expect(h.meander.counters().recordsWritten).toBe(0);
      // The new owner's state stands: the next run has nothing to do.
      const next = await h.service.runSync(L, { trigger: "timer" });
      expect(next.counts.portal.created + next.counts.meander.created + next.counts.portal.updated + next.counts.meander.updated).toBe(0);
    } finally {
      await h.close();
    }
  });
});

describe("the time budget", () => {
  it("stops cleanly with a checkpoint, reports incomplete, and the next run finishes the job", async () => {
    const clock = shiftableClock();
    let budgetSpent = false;
    const h = await startHarness({
      dataset: { ...DATASET, people: 60 },
      settings: { SYNC_PAGE_SIZE: "10", SYNC_TIME_BUDGET_SECONDS: "60" },
      overrides: {
        clock,
        pause: (point) => {
          if (point === "after-checkpoint" && !budgetSpent) {
            budgetSpent = true;
            clock.shift(120_000);
          }
        },
      },
    });
    try {
      const first = await h.service.runSync(L, { trigger: "timer" });
      expect(first.status).toBe("incomplete");
      expect(first.notes.join(" ")).toContain("time budget");
      const written = first.counts.portal.created + first.counts.portal.updated;
      expect(written).toBeGreaterThan(0);
      const checkpoint = (await h.service.deps.locks.readControl?.(L))?.cursors?.meander?.checkpoint;
      const second = await h.service.runSync(L, { trigger: "timer" });
      expect(second.status).toBe("succeeded");
      // The first run left a checkpoint in its feed, and the second went on from it.
      expect(checkpoint).toBeTruthy();
      const links = [];
      for await (const link of h.service.deps.state.listLinks(L)) links.push(link);
      expect(links.length).toBe(h.meander.store.list("likepersons").length - h.dataset!.truth.ambiguous.length);
    } finally {
      await h.close();
    }
  });
});
