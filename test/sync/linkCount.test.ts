/**
 * The mass-delete guard counts a config's links (shared/sync/deleteGuard.ts): from the run's own
 * links when it preloaded them all (a listing would read every partition again), else by listing.
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
