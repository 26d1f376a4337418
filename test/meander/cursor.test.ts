/**
 * The change feed never skips a change: records edited, created or deleted while a
 * client pages (even within the same millisecond) arrive in a later page or run, and a
 * page served twice does no harm.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MeanderSide } from "../../shared/adapters/meander/index.js";
import type { ChangePage } from "../../shared/ports.js";
import { type MeanderSim, startMeanderSim } from "../../sim/meander/index.js";
import { contractChecker, fastRetries, likeperson, SCOPE, staticTokens } from "./support.js";

type Command = { kind: "page" } | { kind: "edit"; index: number } | { kind: "create" } | { kind: "remove"; index: number } | { kind: "replay" };

const command = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Command>({ kind: "page" }) },
  { weight: 3, arbitrary: fc.nat(200).map<Command>((index) => ({ kind: "edit", index })) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: "create" }) },
  { weight: 1, arbitrary: fc.nat(200).map<Command>((index) => ({ kind: "remove", index })) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: "replay" }) },
);

/** Reads pages one at a time across runs, keeping the cursor between runs as the sync core does. */
class Reader {
  cursor: string | undefined;
  /** Last thing delivered per id: a version, or "deleted". */
  readonly last = new Map<string, string>();
  duplicatesWithinRun = 0;
  private iterator: AsyncIterator<ChangePage> | undefined;
  private seenThisRun = new Set<string>();

  constructor(private readonly side: MeanderSide) {}

  /** One page; true when the run ended with it. */
  async page(): Promise<boolean> {
    if (!this.iterator) {
      this.iterator = this.side.readChanges("likepersons", this.cursor, { pageSize: 4 })[Symbol.asyncIterator]();
      this.seenThisRun = new Set();
    }
    const next = await this.iterator.next();
    if (next.done) {
      this.iterator = undefined;
      return true;
    }
    const page = next.value;
    for (const record of page.records) {
      const key = `${record.id}@${record.version}`;
      if (this.seenThisRun.has(key)) this.duplicatesWithinRun += 1;
      this.seenThisRun.add(key);
      this.last.set(record.id, record.version!);
    }
    for (const id of page.deletedIds) this.last.set(id, "deleted");
    if (page.final) {
      this.cursor = page.cursor;
      await this.iterator.return?.();
      this.iterator = undefined;
      return true;
    }
    return false;
  }

  async drain(): Promise<void> {
    while (this.iterator) await this.page();
    while (!(await this.page())) {
      // a fresh run to the end
    }
  }
}

async function withSim<T>(fn: (sim: MeanderSim, side: MeanderSide) => Promise<T>): Promise<T> {
  const checker = contractChecker();
  // A frozen clock: every change has the same modifiedAt, so only the sequence can order them.
  const frozen = new Date("2026-01-15T10:00:00.000Z");
  const sim = await startMeanderSim({ limits: false, now: () => frozen, observe: checker.observe });
  try {
    const side = new MeanderSide({ baseUrl: sim.url, tokenSource: staticTokens(), scope: SCOPE, resilience: fastRetries });
    const result = await fn(sim, side);
    expect(checker.problems).toEqual([]);
    return result;
  } finally {
    await sim.close();
  }
}

describe("Meander change feed cursors", () => {
  it("delivers every change made while pages are read, in a later page or run", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 25 }), fc.array(command, { maxLength: 40 }), async (seeded, commands) =>
        withSim(async (sim, side) => {
          sim.store.seed(
            "likepersons",
            Array.from({ length: seeded }, (_, i) => likeperson(i)),
          );
          const reader = new Reader(side);
          let edits = 0;
          for (const c of commands) {
            const live = sim.store.list("likepersons");
            const target = live.length > 0 ? live[("index" in c ? c.index : 0) % live.length] : undefined;
            if (c.kind === "page") await reader.page();
            else if (c.kind === "create") sim.store.create("likepersons", { firstName: "Ny", lastName: `Person${sim.store.list("likepersons").length}` });
            else if (c.kind === "replay") {
              // One replay at a time: a feed that keeps replaying is refused (see below), not survived.
              sim.faults.clear();
              sim.faults.failNext(1, { duplicatePage: true, match: "changes" });
            } else if (target && c.kind === "edit") sim.store.edit("likepersons", target.id, { chapter: `HLF ${++edits}` });
            else if (target && c.kind === "remove") sim.store.remove("likepersons", target.id);
          }
          sim.faults.clear();
          await reader.drain();
          const live = sim.store.list("likepersons");
          for (const record of live) expect(reader.last.get(record.id)).toBe(record.version);
          const liveIds = new Set(live.map((r) => r.id));
          for (const [id, state] of reader.last) if (!liveIds.has(id)) expect(state).toBe("deleted");
          expect(reader.duplicatesWithinRun).toBe(0);
        }),
      ),
      { numRuns: 40 },
    );
  });

  it("a run that starts from the saved cursor sees only later changes", async () => {
    await withSim(async (sim, side) => {
      sim.store.seed(
        "likepersons",
        Array.from({ length: 10 }, (_, i) => likeperson(i)),
      );
      const reader = new Reader(side);
      await reader.drain();
      const before = new Map(reader.last);
      sim.store.edit("likepersons", "lp-0003", { status: "paused" });
      const pages: ChangePage[] = [];
      for await (const page of side.readChanges("likepersons", reader.cursor)) pages.push(page);
      expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual(["lp-0003"]);
      expect(before.size).toBe(10);
    });
  });

  it("ignores an old page replayed at the start of the next run", async () => {
    await withSim(async (sim, side) => {
      sim.store.seed(
        "likepersons",
        Array.from({ length: 6 }, (_, i) => likeperson(i)),
      );
      const first: ChangePage[] = [];
      for await (const page of side.readChanges("likepersons", undefined)) first.push(page);
      sim.store.edit("likepersons", "lp-0002", { lastName: "Endret" });
      sim.faults.failNext(1, { duplicatePage: true, match: "changes" });
      const before = sim.counters().byKind.changes;
      const second: ChangePage[] = [];
      for await (const page of side.readChanges("likepersons", first.at(-1)!.cursor)) second.push(page);
      // The replay carried lp-0002 in its old version; only the current one may reach the core.
      expect(second.flatMap((p) => p.records).map((r) => [r.id, r.data.lastName])).toEqual([["lp-0002", "Endret"]]);
      expect(sim.counters().byKind.changes - before).toBe(2);
    });
  });

  it("gives up with a transient error when the feed keeps replaying", async () => {
    await withSim(async (sim, side) => {
      sim.store.seed(
        "likepersons",
        Array.from({ length: 12 }, (_, i) => likeperson(i)),
      );
      const read = async () => {
        for await (const page of side.readChanges("likepersons", undefined, { pageSize: 5 })) {
          if (page.records[0]?.id === "lp-0000") sim.faults.failNext(3, { duplicatePage: true, match: "changes" });
        }
      };
      await expect(read()).rejects.toMatchObject({ kind: "transient", code: "FEED_STALLED" });
    });
  });

  it("a page replayed in the middle of a run hands nothing over twice", async () => {
    await withSim(async (sim, side) => {
      sim.store.seed(
        "likepersons",
        Array.from({ length: 12 }, (_, i) => likeperson(i)),
      );
      const pages: ChangePage[] = [];
      for await (const page of side.readChanges("likepersons", undefined, { pageSize: 5 })) {
        pages.push(page);
        if (pages.length === 1) sim.faults.failNext(1, { duplicatePage: true, match: "changes" });
      }
      const ids = pages.flatMap((p) => p.records.map((r) => r.id));
      expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => likeperson(i).id));
      expect(sim.counters().byKind.changes).toBe(4);
    });
  });
});
