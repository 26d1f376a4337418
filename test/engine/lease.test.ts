/** A stalled run that lost its lease writes nothing; the time budget stops a run cleanly. In-memory ports (concurrent starts on Azurite: test/sync/lease.test.ts). */
import { describe, expect, it } from "vitest";
import { seedDataset } from "../support/memory/dataset.js";
import { memoryEngine, SETTINGS } from "../support/memory/engine.js";

const L = "likepersons";
const DATASET = { seed: 21, people: 30, overlap: 0.7, portalOnlyMembers: 5 };

describe("a stalled run that lost its lease", () => {
  it("writes nothing after the new owner took over, and says so", async () => {
    let release: () => void = () => {};
    let stalled: () => void = () => {};
    const reached = new Promise<void>((r) => {
      stalled = r;
    });
    let stall = true;
    const e = memoryEngine({ settings: { ...SETTINGS, pageSize: 10, leaseMs: 30_000 } });
    seedDataset(e, DATASET);
    const stalling = e.with({
      pause: (point) => {
        if (!stall || point !== "after-read-held") return;
        stall = false;
        stalled();
        return new Promise<void>((r) => {
          release = r;
        });
      },
    });
    const old = stalling.run();
    await reached;
    e.clock.advance(31_000);
    const taker = await e.run();
    expect(taker.status).toBe("succeeded");
    expect(taker.notes.join(" ")).toContain("without releasing its lease");
    const written = e.meander.opsWritten + e.portal.opsWritten;
    release();
    const result = await old;
    expect(result.status).toBe("failed");
    expect(result.errors.map((x) => x.code)).toContain("LEASE_LOST");
    expect(e.meander.opsWritten + e.portal.opsWritten).toBe(written);
    // The new owner's state stands: the next run has nothing to do.
    const next = await e.run();
    expect(next.counts.portal.created + next.counts.meander.created + next.counts.portal.updated + next.counts.meander.updated).toBe(0);
  });
});

describe("the time budget", () => {
  it("stops cleanly with a checkpoint, reports incomplete, and the next run finishes the job", async () => {
    let budgetSpent = false;
    const base = memoryEngine({ settings: { ...SETTINGS, pageSize: 10, timeBudgetMs: 60_000 } });
    const dataset = seedDataset(base, { ...DATASET, people: 60 });
    const e = base.with({
      pause: (point) => {
        if (point === "after-checkpoint" && !budgetSpent) {
          budgetSpent = true;
          base.clock.advance(120_000);
        }
      },
    });
    const first = await e.run();
    expect(first.status).toBe("incomplete");
    expect(first.notes.join(" ")).toContain("time budget");
    expect(first.counts.portal.created + first.counts.portal.updated).toBeGreaterThan(0);
    const checkpoint = (await e.locks.readControl(L))?.cursors?.meander?.checkpoint;
    expect(checkpoint).toBeTruthy();
    const second = await e.run();
    expect(second.status).toBe("succeeded");
    const links = [];
    for await (const link of e.state.listLinks(L)) links.push(link);
    expect(links.length).toBe(e.meander.list("likepersons").length - dataset.truth.ambiguous.length);
  });
});
