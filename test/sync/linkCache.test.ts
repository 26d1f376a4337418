/**
 * The run's links (shared/sync/links.ts). The mass-delete guard counts a config's links from the
 * run's own when it preloaded them all (a listing would read every partition again). Links a unit
 * saved are kept by ids and versions only, and read back whole before they are planned again.
 */
import { describe, expect, it } from "vitest";
import type { Link } from "../../shared/core/types.js";
import { LinkCache } from "../../shared/sync/links.js";
import { MemoryStateStore } from "../support/memory/stores.js";

const link = (n: number): Link => ({ meanderId: `m${n}`, portalId: `p${n}`, baseline: {} });

describe("LinkCache.count", () => {
  it("is undefined until every link is held, then the number of links (each held under both ids)", async () => {
    const state = new MemoryStateStore();
    await state.putLinks("likepersons", [link(1), link(2), link(3)]);
    await state.putLinks("other", [link(9)]);
    const cache = new LinkCache(state, "likepersons");
    await cache.load([{ side: "meander", id: "m1" }]);
    expect(cache.count()).toBeUndefined();
    await cache.preload();
    expect(cache.count()).toBe(3);
    cache.remember(link(4));
    cache.forget(link(1));
    expect(cache.count()).toBe(3);
    let listed = 0;
    for await (const _ of state.listLinks("likepersons")) listed++;
    expect(listed).toBe(3);
  });
});

describe("LinkCache.shed", () => {
  it("keeps a saved link's ids and versions only, and load reads it back whole before it is planned again", async () => {
    const state = new MemoryStateStore();
    const full: Link = { meanderId: "m1", portalId: "p1", baseline: { "address.city": "h:AAAAAAAAAAAAAAAA" }, meanderVersion: "7", portalVersion: 'W/"9"' };
    await state.putLinks("likepersons", [full]);
    const cache = new LinkCache(state, "likepersons");
    cache.remember(full);
    cache.shed([full]);
    expect(cache.get("portal", "p1")).toEqual({ meanderId: "m1", portalId: "p1", baseline: {}, meanderVersion: "7", portalVersion: 'W/"9"' });
    expect(cache.savedByRun("meander", "m1")?.meanderVersion).toBe("7");
    await cache.load([{ side: "meander", id: "m1" }]);
    expect(cache.get("meander", "m1")).toEqual(full);
    expect(cache.get("portal", "p1")).toEqual(full);
  });

  it("leaves a link a later unit replaced", () => {
    const cache = new LinkCache(new MemoryStateStore(), "likepersons");
    const before: Link = { meanderId: "m1", portalId: "p1", baseline: { a: "h:AAAAAAAAAAAAAAAA" } };
    const after: Link = { ...before, baseline: { a: "h:BBBBBBBBBBBBBBBB" } };
    cache.remember(before);
    cache.remember(after);
    cache.shed([before]);
    expect(cache.get("meander", "m1")).toBe(after);
  });

  it("after a preload, a shed link is read back too (not taken for 'no link')", async () => {
    const state = new MemoryStateStore();
    const full: Link = { meanderId: "m2", portalId: "p2", baseline: { a: "h:AAAAAAAAAAAAAAAA" } };
    await state.putLinks("likepersons", [full]);
    const cache = new LinkCache(state, "likepersons");
    await cache.preload();
    cache.shed([cache.get("meander", "m2")!]);
    await cache.load([
      { side: "portal", id: "p2" },
      { side: "portal", id: "p3" },
    ]);
    expect(cache.get("portal", "p2")).toEqual(full);
    expect(cache.get("portal", "p3")).toBeUndefined();
  });
});

describe("the run's own writes (the echo check's marks)", () => {
  const written: Link = { meanderId: "m1", portalId: "p1", baseline: { a: "h:AAAAAAAAAAAAAAAA" }, meanderVersion: "7", portalVersion: 'W/"9"' };
  const echoes = { meander: { versions: { m1: "7" }, deleted: [] }, portal: { versions: { p1: 'W/"9"' }, deleted: [] } };

  it("a link the run saved stays its own when shed and when read back, and a dropped one keeps the version its write left", async () => {
    const state = new MemoryStateStore();
    await state.putLinks("likepersons", [written]);
    const cache = new LinkCache(state, "likepersons");
    cache.wrote("meander", "m1", "7");
    cache.wrote("portal", "p1", 'W/"9"');
    cache.remember(written);
    expect(cache.expectedEchoes()).toEqual(echoes);
    cache.shed([written]);
    expect(cache.savedByRun("portal", "p1")?.portalVersion).toBe('W/"9"');
    expect(cache.expectedEchoes()).toEqual(echoes);
    await cache.load([{ side: "meander", id: "m1" }]);
    expect(cache.savedByRun("meander", "m1")).toEqual(written);
    expect(cache.expectedEchoes()).toEqual(echoes);
    cache.shed([cache.get("meander", "m1")!]);
    cache.forget(written);
    expect(cache.savedByRun("meander", "m1")).toBeUndefined();
    expect(cache.unlinkedByRun("meander", "m1")).toBe("7");
    expect(cache.unlinkedByRun("portal", "p1")).toBe('W/"9"');
    expect(cache.expectedEchoes()).toEqual(echoes);
  });

  it("a later write's version counts over the one a thin link stands for", () => {
    const cache = new LinkCache(new MemoryStateStore(), "likepersons");
    cache.wrote("meander", "m1", "7");
    cache.remember(written);
    cache.shed([written]);
    cache.wrote("meander", "m1", "8");
    cache.forget(written);
    expect(cache.unlinkedByRun("meander", "m1")).toBe("8");
  });

  it("a link read from the store, not saved by the run, is not its own; nor is a record it only dropped without writing", async () => {
    const state = new MemoryStateStore();
    await state.putLinks("likepersons", [written]);
    const cache = new LinkCache(state, "likepersons");
    await cache.load([{ side: "portal", id: "p1" }]);
    expect(cache.get("portal", "p1")).toEqual(written);
    expect(cache.savedByRun("portal", "p1")).toBeUndefined();
    cache.forget(written);
    expect(cache.unlinkedByRun("portal", "p1")).toBeUndefined();
    expect(cache.expectedEchoes()).toEqual({ meander: { versions: {}, deleted: [] }, portal: { versions: {}, deleted: [] } });
  });
});
