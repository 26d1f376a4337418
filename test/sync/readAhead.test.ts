/**
 * Units and reading ahead (shared/sync/loop.ts, readAhead.ts). The streamed side's pages are
 * gathered into units of up to SYNC_PAGE_SIZE records, and the next page is asked for before the
 * current unit is worked on; a page's checkpoint still follows its unit's save.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link } from "../../shared/core/types.js";
import type { ChangePage, RecordSide } from "../../shared/ports.js";
import { readAhead } from "../../shared/sync/readAhead.js";
import { type Harness, startHarness } from "./harness.js";

describe("readAhead", () => {
  it("asks for the next item before the consumer is done with the current one", async () => {
    const log: string[] = [];
    async function* source() {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        yield i;
      }
    }
    for await (const n of readAhead(source())) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`worked ${n}`);
    }
    expect(log).toEqual(["read 1", "read 2", "worked 1", "read 3", "worked 2", "worked 3"]);
  });

  it("a consumer that stops early leaves the read in flight to fail on its own, and the source is closed", async () => {
    let closed = false;
    let failNext!: (error: Error) => void;
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => {
        let calls = 0;
        return {
          next: () =>
            calls++ === 0
              ? Promise.resolve({ value: 1, done: false })
              : new Promise((_, reject) => {
                  failNext = reject;
                }),
          return: async () => {
            closed = true;
            return { value: undefined, done: true };
          },
        };
      },
    };
    const stop = new Error("time budget");
    await expect(
      (async () => {
        for await (const _ of readAhead(source)) throw stop;
      })(),
    ).rejects.toBe(stop);
    // The read in flight fails after the loop is gone: no unhandled rejection (vitest would fail the test), and the source is not closed under it.
    failNext(new Error("network"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(closed).toBe(false);
  });
});

describe("a first run over small Meander pages", () => {
  let h: Harness;
  const asked: number[] = [];
  const pages: ChangePage[] = [];
  const saved: number[] = [];

  beforeAll(async () => {
    h = await startHarness({
      dataset: { seed: 7, people: 60, overlap: 0.5, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0 },
      meander: { maxPageSize: 5 },
      settings: { SYNC_PAGE_SIZE: "20" },
    });
    const meander: RecordSide = h.service.sides.meander;
    const readChanges = meander.readChanges.bind(meander);
    let requested = 0;
    meander.readChanges = (...args) => ({
      [Symbol.asyncIterator]: () => {
        const inner = readChanges(...args)[Symbol.asyncIterator]();
        return {
          next: async () => {
            requested += 1;
            const result = await inner.next();
            if (!result.done) pages.push(result.value);
            return result;
          },
          return: async () => inner.return?.() ?? { value: undefined, done: true },
        };
      },
    });
    // Pages asked for when each write to a side starts.
    for (const side of ["meander", "portal"] as const) {
      const port: RecordSide = h.service.sides[side];
      const write = port.write.bind(port);
      port.write = (entity, ops) => {
        asked.push(requested);
        return write(entity, ops);
      };
    }
    const state = h.service.deps.state;
    const putLinks = state.putLinks.bind(state);
    state.putLinks = (configId: string, links: readonly Link[], options?: { fresh?: ReadonlySet<Link> }) => {
      saved.push(links.length);
      return putLinks(configId, links, options);
    };
    const result = await h.service.runSync("likepersons", { trigger: "timer" });
    expect([result.status, result.errors]).toEqual(["succeeded", []]);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it("works on units of at least SYNC_PAGE_SIZE records gathered from several pages", () => {
    const streamed = pages.slice(0, 4);
    expect(streamed.every((p) => p.records.length === 5)).toBe(true);
    // The first unit is the first four pages (20 records): its links are saved in one call.
    expect(saved[0]).toBeGreaterThanOrEqual(20);
  });

  it("asks for the next page before the unit is written to the sides", () => {
    // Four pages make the first unit; the fifth is already asked for when its first write starts.
    expect(asked[0]).toBe(5);
  });
});

describe("a record edited while its unit's pages are read", () => {
  let h: Harness;
  let editedId = "";
  const writes: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      dataset: { seed: 8, people: 30, overlap: 1, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0 },
      meander: { maxPageSize: 5 },
      settings: { SYNC_PAGE_SIZE: "40" },
    });
    await h.service.runSync("likepersons", { trigger: "timer" });
    // Every likeperson changes, so the next run's feed is 30 records in pages of 5: one unit.
    for (const r of h.meander.store.list("likepersons")) h.meander.store.edit("likepersons", r.id, { address: { city: "Bodø" } });
    const meander: RecordSide = h.service.sides.meander;
    const readChanges = meander.readChanges.bind(meander);
    meander.readChanges = (...args) =>
      (async function* () {
        let n = 0;
        for await (const page of readChanges(...args)) {
          // After the first page, a person edits a record that page held: the feed lists it again later.
          if (n++ === 0 && page.records[0]) {
            editedId = page.records[0].id;
            h.meander.store.edit("likepersons", editedId, { address: { city: "Vadsø" } });
          }
          yield page;
        }
      })();
    const portal: RecordSide = h.service.sides.portal;
    const write = portal.write.bind(portal);
    portal.write = (entity, ops) => {
      for (const op of ops) if (op.op === "update") writes.push(op.id);
      return write(entity, ops);
    };
    const result = await h.service.runSync("likepersons", { trigger: "timer" });
    expect([result.status, result.errors]).toEqual(["succeeded", []]);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it("is planned once, with its latest change", async () => {
    const [link] = await h.service.deps.state.getLinks("likepersons", [{ side: "meander", id: editedId }]);
    expect(link).toBeDefined();
    expect(writes.filter((id) => id === link!.portalId)).toHaveLength(1);
    expect(h.dataverse.store.get("contacts", link!.portalId)?.address1_city).toBe("Vadsø");
  });
});
