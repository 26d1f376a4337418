import { beforeAll, describe, expect, it } from "vitest";
import { createTables, type Tables } from "../../shared/adapters/tables/index.js";
import type { Lease } from "../../shared/ports.js";
import { freshTables, manualClock } from "./helpers.js";
import { barrier, holdingProxy } from "./proxy.js";

const clock = manualClock();
let tables: Tables;
beforeAll(async () => {
  tables = await freshTables({ clock });
});

describe("the config lease on Azurite", () => {
  it("lets exactly one of twenty concurrent acquires win", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => tables.locks.acquire("race", `run-${i}`, 60_000)));
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.acquired ? winners[0].lease.runId : "";
    for (const loser of results.filter((r) => !r.acquired)) {
      expect(loser).toEqual({ acquired: false, heldBy: winner, expiresAt: new Date(clock.now().getTime() + 60_000) });
    }
  });

  it("refuses a live lease, takes over an expired one, and the old owner's renew fails", async () => {
    const first = await tables.locks.acquire("takeover", "run-a", 10_000);
    if (!first.acquired) throw new Error("first acquire failed");
    clock.advance(9_000);
    expect(await tables.locks.acquire("takeover", "run-b", 10_000)).toMatchObject({ acquired: false, heldBy: "run-a" });

    clock.advance(2_000);
    const second = await tables.locks.acquire("takeover", "run-b", 10_000);
    expect(second).toMatchObject({ acquired: true, lease: { runId: "run-b", configId: "takeover" } });
    expect(await tables.locks.renew(first.lease, 10_000)).toBeUndefined();

    // The old owner's release must not free the new owner's lease.
    await tables.locks.release(first.lease);
    expect(await tables.locks.acquire("takeover", "run-c", 10_000)).toMatchObject({ acquired: false, heldBy: "run-b" });
  });

  it("lets exactly one of twenty concurrent takeovers of an expired lease win, even when all saw it expired", async () => {
    // Conditional writes wait until Azurite has answered all twenty contenders' reads of the expired row.
    let armed = false;
    const allRead = barrier(20);
    const proxy = await holdingProxy(process.env.AZURITE_CONNECTION_STRING ?? "", {
      before: async (req) => {
        if (armed && req.headers["if-match"]) await allRead.opened;
      },
      after: (req) => {
        if (armed && req.method === "GET") allRead.arrive();
      },
    });
    try {
      const racing = createTables({ connectionString: proxy.connectionString, prefix: tables.tableNames.locks.slice(0, -"locks".length), clock });
      expect(await racing.locks.acquire("expired-race", "crashed-run", 1_000)).toMatchObject({ acquired: true });
      clock.advance(1_001);
      armed = true;
      const writes = racing.counters.writes;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => racing.locks.acquire("expired-race", `run-${i}`, 60_000)));
      const winners = results.flatMap((r) => (r.acquired ? [r.lease.runId] : []));
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => !r.acquired)) expect(loser).toMatchObject({ heldBy: winners[0] });
      // Every contender tried its conditional takeover: the race really happened.
      expect(racing.counters.writes - writes).toBe(20);
    } finally {
      await proxy.close();
    }
  });

  it("renews with a new expiry and etag, and releases so the next run can start", async () => {
    const taken = await tables.locks.acquire("renew/ø#?", "run-1", 5_000);
    if (!taken.acquired) throw new Error("acquire failed");
    clock.advance(4_000);
    const renewed = (await tables.locks.renew(taken.lease, 5_000)) as Lease;
    expect(renewed.expiresAt.getTime()).toBe(clock.now().getTime() + 5_000);
    expect(renewed.etag).not.toBe(taken.lease.etag);
    // An older lease object of the same run still renews: a retried write whose first attempt
    // applied (its reply lost) meets a new ETag on a row that still names this run. Another
    // run's takeover is what ends a lease (see the takeover test).
    const again = (await tables.locks.renew(taken.lease, 5_000)) as Lease;
    expect(again.etag).not.toBe(renewed.etag);

    clock.advance(4_000); // past the first expiry, within the renewed one
    expect(await tables.locks.acquire("renew/ø#?", "run-2", 5_000)).toMatchObject({ acquired: false, heldBy: "run-1" });

    expect(await tables.locks.release(again)).toBe(true);
    expect(await tables.locks.release(again)).toBe(false); // twice: already released
    expect(await tables.locks.acquire("renew/ø#?", "run-2", 5_000)).toMatchObject({ acquired: true });
  });

  it("keeps configs independent", async () => {
    expect(await tables.locks.acquire("one", "r", 1_000)).toMatchObject({ acquired: true });
    expect(await tables.locks.acquire("two", "r", 1_000)).toMatchObject({ acquired: true });
  });
});
