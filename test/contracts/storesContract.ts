/**
 * What the engine relies on from the state, run and lock stores, as one suite run against
 * the in-memory stores and the Table Storage adapters on Azurite (stores.test.ts).
 */
import { expect, it } from "vitest";
import type { Link, SyncRun } from "../../shared/core/types.js";
import type { ConflictRecord, LedgerEntry, LockStore, RunStore, StateStore } from "../../shared/ports.js";
import { sampleRun } from "../tables/helpers.js";

export interface StoresFixture {
  readonly state: StateStore;
  readonly runs: RunStore;
  readonly locks: LockStore;
  /** Moves the stores' clock forward (lease expiry). */
  advance(ms: number): void;
}

const link = (m: string, p: string, extra: Partial<Link> = {}): Link => ({ meanderId: m, portalId: p, baseline: { firstName: "Kari" }, ...extra });
const all = async (links: AsyncIterable<Link>) => {
  const out: Link[] = [];
  for await (const l of links) out.push(l);
  return out;
};

export function storesContract(name: string, make: () => Promise<StoresFixture>): void {
  let n = 0;
  const config = () => `c${++n}`;

  it(`${name}: links are found from either side, once each; a delete spares a row re-coupled since`, async () => {
    const { state } = await make();
    const c = config();
    await state.putLinks(c, [link("m1", "p1", { meanderVersion: "v1", portalVersion: 'W/"1"' }), link("m2", "p2")]);
    const found = await state.getLinks(c, [
      { side: "meander", id: "m1" },
      { side: "portal", id: "p1" },
      { side: "portal", id: "p2" },
      { side: "meander", id: "nobody" },
    ]);
    expect(found.map((l) => [l.meanderId, l.portalId, l.meanderVersion]).sort()).toEqual([
      ["m1", "p1", "v1"],
      ["m2", "p2", undefined],
    ]);
    // m2 re-coupled to p3, then the old pair (m2, p2) deleted: the new row stays.
    await state.putLinks(c, [link("m2", "p3")]);
    await state.deleteLinks(c, [{ meanderId: "m2", portalId: "p2" }]);
    expect((await state.getLinks(c, [{ side: "meander", id: "m2" }])).map((l) => l.portalId)).toEqual(["p3"]);
    expect(await state.getLinks(c, [{ side: "portal", id: "p2" }])).toEqual([]);
    expect((await all(state.listLinks(c))).map((l) => l.meanderId).sort()).toEqual(["m1", "m2"]);
  });

  it(`${name}: ledger entries and conflicts are kept by key and replaced in place`, async () => {
    const { state } = await make();
    const c = config();
    const entry = (attempts: number): LedgerEntry => ({
      side: "portal",
      recordId: "p1",
      attempts,
      firstFailedAt: "2026-01-01T00:00:00.000Z",
      lastFailedAt: "2026-01-01T00:00:00.000Z",
      lastError: { kind: "record", code: "INVALID_DATA", message: "data does not fit", status: 422 },
    });
    await state.putLedger(c, [entry(1)]);
    await state.putLedger(c, [entry(2)]);
    expect((await state.listLedger(c)).map((e) => e.attempts)).toEqual([2]);
    await state.deleteLedger(c, [{ side: "portal", recordId: "p1" }]);
    expect(await state.listLedger(c)).toEqual([]);
    const conflict: ConflictRecord = {
      conflictId: "f1",
      configId: c,
      kind: "field",
      meanderId: "m1",
      portalId: "p1",
      fields: [{ field: "chapter", base: "Oslo", meander: "Bergen", portal: "Tromsø" }],
      detectedAt: "2026-01-01T00:00:00.000Z",
      status: "open",
    };
    await state.putConflicts(c, [conflict]);
    expect((await state.listConflicts(c, "open")).map((x) => x.conflictId)).toEqual(["f1"]);
    const resolved: ConflictRecord = { ...conflict, status: "resolved", resolution: { choice: "meander", values: {}, resolvedAt: "2026-01-02T00:00:00.000Z" } };
    await state.putConflicts(c, [resolved]);
    expect(await state.listConflicts(c, "open")).toEqual([]);
    expect(await state.getConflict(c, "f1")).toEqual(resolved);
  });

  it(`${name}: runs are listed newest first, read back whole, and purged by start time`, async () => {
    const { runs } = await make();
    const c = config();
    const at = (runId: string, startedAt: string): SyncRun => sampleRun({ runId, configId: c, startedAt });
    await runs.saveRun(at("old", "2026-01-01T10:00:00.000Z"));
    await runs.saveRun(at("new", "2026-01-03T10:00:00.000Z"));
    expect((await runs.listRuns(c, 10)).map((r) => r.runId)).toEqual(["new", "old"]);
    expect(await runs.getRun(c, "new")).toEqual(at("new", "2026-01-03T10:00:00.000Z"));
    expect(await runs.purgeRuns(c, new Date("2026-01-02T00:00:00.000Z"))).toBe(1);
    expect((await runs.listRuns(c, 10)).map((r) => r.runId)).toEqual(["new"]);
  });

  it(`${name}: one lease at a time; a renew keeps the control row, a lost lease cannot write it, a crashed holder is named`, async () => {
    const f = await make();
    const c = config();
    const first = await f.locks.acquire(c, "run-a", 10_000);
    if (!first.acquired) throw new Error("not acquired");
    expect(await f.locks.acquire(c, "run-b", 10_000)).toMatchObject({ acquired: false, heldBy: "run-a" });
    const control = { cursors: { meander: { cursor: "42", updatedAt: "2026-01-01T00:00:00.000Z" } }, ledgerSize: 0 };
    const renewed = await f.locks.renew(first.lease, 10_000, control);
    expect(renewed).toBeDefined();
    expect(await f.locks.readControl?.(c)).toEqual(control);
    // run-a dies holding the lease; run-b takes over once it expires and hears who died.
    f.advance(11_000);
    const second = await f.locks.acquire(c, "run-b", 10_000);
    expect(second).toMatchObject({ acquired: true, tookOverFrom: "run-a", control });
    expect(await f.locks.renew(renewed!, 10_000, { ledgerSize: 9 })).toBeUndefined();
    expect(await f.locks.release(renewed!, { ledgerSize: 9 })).toBe(false);
    if (!second.acquired) throw new Error("not acquired");
    expect(await f.locks.release(second.lease, { ...control, ledgerSize: 1 })).toBe(true);
    const third = await f.locks.acquire(c, "run-c", 10_000);
    expect(third).toMatchObject({ acquired: true, control: { ...control, ledgerSize: 1 } });
    expect(third.acquired && third.tookOverFrom).toBeFalsy();
  });

  it(`${name}: a lease is taken with the control state of the configs asked for, those that have a row`, async () => {
    const f = await make();
    const [c, peer, none] = [config(), config(), config()];
    const other = await f.locks.acquire(peer, "peer-run", 10_000);
    if (!other.acquired) throw new Error("not acquired");
    expect(await f.locks.release(other.lease, { couplings: 3, ledgerSize: 0 })).toBe(true);
    const taken = await f.locks.acquire(c, "run-a", 10_000, [peer, none]);
    expect(taken).toMatchObject({ acquired: true, peers: { [peer]: { couplings: 3, ledgerSize: 0 } } });
    expect(taken.acquired && Object.keys(taken.peers ?? {})).toEqual([peer]);
    // The lease taken with them is an ordinary lease.
    if (!taken.acquired) throw new Error("not acquired");
    expect(await f.locks.acquire(c, "run-b", 10_000, [peer])).toMatchObject({ acquired: false, heldBy: "run-a" });
    expect(await f.locks.release(taken.lease, { ledgerSize: 2 })).toBe(true);
    expect(await f.locks.readControl?.(c)).toEqual({ ledgerSize: 2 });
  });
}
