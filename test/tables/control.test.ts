import { beforeAll, describe, expect, it } from "vitest";
import type { Tables } from "../../shared/adapters/tables/index.js";
import { freshTables, manualClock } from "./helpers.js";

const clock = manualClock();
let tables: Tables;
beforeAll(async () => {
  tables = await freshTables({ clock });
});

describe("the control state on the lease row", () => {
  it("is kept across renewals and handed to the next run", async () => {
    const first = await tables.locks.acquire("ctl", "run-1", 10_000);
    if (!first.acquired) throw new Error("not acquired");
    expect(first.control).toEqual({});
    const checkpoint = { cursors: { meander: { cursor: "c1", checkpoint: "c2", updatedAt: "2026-01-01T00:00:00.000Z" } } };
    const renewed = await tables.locks.renew(first.lease, 10_000, checkpoint);
    if (!renewed) throw new Error("not renewed");
    // A renewal without control keeps what is stored.
    const again = await tables.locks.renew(renewed, 10_000);
    if (!again) throw new Error("not renewed");
    await tables.locks.release(again, { ...checkpoint, ledgerSize: 3 });
    expect(await tables.locks.readControl?.("ctl")).toEqual({ ...checkpoint, ledgerSize: 3 });

    const second = await tables.locks.acquire("ctl", "run-2", 10_000);
    expect(second).toMatchObject({ acquired: true, control: { ...checkpoint, ledgerSize: 3 } });
  });

  it("refuses a checkpoint from a run that lost its lease", async () => {
    const first = await tables.locks.acquire("lost", "run-a", 1_000);
    if (!first.acquired) throw new Error("not acquired");
    clock.advance(2_000);
    const second = await tables.locks.acquire("lost", "run-b", 10_000);
    if (!second.acquired) throw new Error("takeover failed");
    expect(await tables.locks.renew(first.lease, 10_000, { cursors: { portal: { cursor: "stale", updatedAt: "x" } } })).toBeUndefined();
    await tables.locks.release(first.lease, { cursors: { portal: { cursor: "stale", updatedAt: "x" } } });
    expect(await tables.locks.readControl?.("lost")).toEqual({});
  });

  it("holds a delta link longer than one property, and a shorter one after it", async () => {
    const first = await tables.locks.acquire("long", "run-1", 10_000);
    if (!first.acquired) throw new Error("not acquired");
    const deltaLink = `https://hlf.crm4.dynamics.com/api/data/v9.2/contacts?$deltatoken=${"9".repeat(70_000)}`;
    const long = { cursors: { portal: { cursor: deltaLink, updatedAt: "2026-01-01T00:00:00.000Z" } } };
    const renewed = await tables.locks.renew(first.lease, 10_000, long);
    if (!renewed) throw new Error("not renewed");
    expect(await tables.locks.readControl?.("long")).toEqual(long);
    const short = { cursors: { portal: { cursor: "short", updatedAt: "2026-01-01T00:00:01.000Z" } } };
    expect(await tables.locks.release(renewed, short)).toBe(true);
    expect(await tables.locks.readControl?.("long")).toEqual(short);
  });
});
