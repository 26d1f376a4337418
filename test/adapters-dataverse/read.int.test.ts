import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, guid, type Harness, startHarness } from "./harness.js";

describe("DataverseSide.readChanges against the simulator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxPageSize: 5000 });
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 230 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}`, lastname: `L${i}`, hlf_meanderid: `m-${i}` })),
    );
  });
  afterAll(() => h.sim.close());

  it("reads everything over many pages, then an unchanged delta is exactly one request", async () => {
    const side = h.side({ pageSize: 50 });
    const full = await collect(side.readChanges("contacts", undefined));
    expect(full.length).toBe(5);
    expect(full.map((p) => p.final)).toEqual([false, false, false, false, true]);
    const records = full.flatMap((p) => p.records);
    expect(new Set(records.map((r) => r.id)).size).toBe(230);
    const first = records.find((r) => r.id === guid(1))!;
    expect(first.data).toMatchObject({ contactid: guid(1), firstname: "F0", lastname: "L0" });
    expect(first.version).toMatch(/^W\/"\d+"$/);
    expect(Number.isNaN(Date.parse(first.modifiedOn!))).toBe(false);
    expect(first.data["modifiedon"]).toBe(first.modifiedOn);
    expect(Object.keys(first.data).some((k) => k.includes("@"))).toBe(false);
    // Intermediate cursors are next links (a run can checkpoint there), the last one a delta link.
    expect(full[0]!.cursor).toMatch(/^contacts\?/);
    expect(full.at(-1)!.cursor).toContain("deltatoken");

    const before = h.sim.counters();
    const delta = await collect(side.readChanges("contacts", full.at(-1)!.cursor));
    const after = h.sim.counters();
    expect(delta).toHaveLength(1);
    expect(delta[0]).toMatchObject({ records: [], deletedIds: [], final: true });
    expect(after.requests - before.requests).toBe(1);
    expect(after.byKind.token - before.byKind.token).toBe(0);
  });

  it("delivers edits, creations and deletions made in Dataverse through the delta", async () => {
    const side = h.side();
    const start = await collect(side.readChanges("contacts", undefined));
    const cursor = start.at(-1)!.cursor;
    h.sim.store.edit("contacts", guid(3), { firstname: "Changed" });
    h.sim.store.remove("contacts", guid(4));
    const created = h.sim.store.create("contacts", { firstname: "New", hlf_meanderid: "m-new" });
    const pages = await collect(side.readChanges("contacts", cursor));
    const records = pages.flatMap((p) => p.records);
    expect(records.map((r) => r.id).sort()).toEqual([guid(3), created].sort());
    expect(records.find((r) => r.id === guid(3))!.data["firstname"]).toBe("Changed");
    expect(pages.flatMap((p) => p.deletedIds)).toEqual([guid(4)]);
    expect(pages.some((p) => p.fullResync)).toBe(false);
  });

  it("resumes a full read from a mid-feed checkpoint without losing or repeating records", async () => {
    const side = h.side({ pageSize: 100 });
    const iterator = side.readChanges("contacts", undefined)[Symbol.asyncIterator]();
    const firstPage = (await iterator.next()).value!;
    await iterator.return?.();
    const rest = await collect(side.readChanges("contacts", firstPage.cursor));
    const ids = [...firstPage.records, ...rest.flatMap((p) => p.records)].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(h.sim.store.list("contacts").length);
    expect(rest.at(-1)!.final).toBe(true);
  });

  it("falls back to a full read marked fullResync when the delta token expired", async () => {
    const side = h.side();
    const start = await collect(side.readChanges("contacts", undefined));
    h.sim.store.expireDeltaTokens();
    const pages = await collect(side.readChanges("contacts", start.at(-1)!.cursor));
    expect(pages.every((p) => p.fullResync === true)).toBe(true);
    expect(pages.flatMap((p) => p.records).length).toBe(h.sim.store.list("contacts").length);
    // The new cursor works as a delta again.
    const next = await collect(side.readChanges("contacts", pages.at(-1)!.cursor));
    expect(next[0]).toMatchObject({ records: [], final: true });
    expect(next[0]!.fullResync).toBeUndefined();
  });

  it("reads everything again when the config now maps a column the delta link does not track", async () => {
    const narrow = h.side({ entities: { contacts: { idField: "contactid", select: ["firstname"] } } });
    const start = await collect(narrow.readChanges("contacts", undefined));
    const same = await collect(narrow.readChanges("contacts", start.at(-1)!.cursor));
    expect(same[0]!.fullResync).toBeUndefined();
    const wider = h.side({ entities: { contacts: { idField: "contactid", select: ["firstname", "lastname"] } } });
    const pages = await collect(wider.readChanges("contacts", start.at(-1)!.cursor));
    expect(pages.every((p) => p.fullResync)).toBe(true);
    expect(pages.flatMap((p) => p.records).find((r) => r.id === guid(1))!.data["lastname"]).toBe("L0");
  });

  it("treats a cursor of another entity set as invalid: full read with fullResync", async () => {
    const side = h.side();
    const pages = await collect(side.readChanges("hlf_likepersonactivities", "contacts?$deltatoken=1"));
    expect(pages.every((p) => p.fullResync)).toBe(true);
  });
});
