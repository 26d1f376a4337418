/**
 * The narrowed change feed: the delta reads ids, scope columns and the link field of every
 * changed contact; only contacts in scope are read again by id with the mapped columns.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntitySettings } from "../../shared/adapters/dataverse/read.js";
import { collect, guid, type Harness, startHarness, webApiRequests } from "./harness.js";

const PERSONAL = ["firstname", "lastname", "emailaddress1"];
const contacts: EntitySettings = {
  idField: "contactid",
  alternateKey: "hlf_meanderid",
  select: [...PERSONAL, "hlf_meanderid", "hlf_likepersonstatus"],
  delta: { select: ["hlf_likepersonstatus", "hlf_meanderid"], inScope: (data) => data["hlf_likepersonstatus"] != null },
};
const likeperson = (i: number) => i % 20 === 0;

describe("a narrowed change feed", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxPageSize: 5000 });
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 300 }, (_, i) => ({
        contactid: guid(i + 1),
        firstname: `F${i}`,
        lastname: `L${i}`,
        emailaddress1: `p${i}@example.no`,
        hlf_likepersonstatus: likeperson(i) ? 100000000 : null,
      })),
    );
  });
  afterAll(() => h.sim.close());

  it("reads personal columns of in-scope contacts only, on the first read and on a delta", async () => {
    const side = h.side({ entities: { contacts }, pageSize: 100 });
    const before = webApiRequests(h.sim.counters());
    const pages = await collect(side.readChanges("contacts", undefined));
    const records = pages.flatMap((p) => p.records);
    expect(records).toHaveLength(300);
    const inScope = records.filter((r) => r.data["hlf_likepersonstatus"] != null);
    expect(inScope).toHaveLength(15);
    for (const r of inScope) expect(r.data).toMatchObject({ firstname: expect.any(String), emailaddress1: expect.stringMatching(/@example\.no$/) });
    for (const r of records.filter((r) => r.data["hlf_likepersonstatus"] == null)) for (const c of PERSONAL) expect(r.data).not.toHaveProperty(c);
    // Three delta pages, and for each the in-scope contacts by id.
    expect(webApiRequests(h.sim.counters()) - before).toBe(6);

    for (const i of [1, 2, 3, 4, 5, 40]) h.sim.store.edit("contacts", guid(i + 1), { lastname: `Edited${i}` });
    const mid = webApiRequests(h.sim.counters());
    const delta = (await collect(side.readChanges("contacts", pages.at(-1)!.cursor))).flatMap((p) => p.records);
    expect(delta).toHaveLength(6);
    expect(delta.filter((r) => "lastname" in r.data).map((r) => r.data["lastname"])).toEqual(["Edited40"]);
    expect(webApiRequests(h.sim.counters()) - mid).toBe(2);
  });

  it("asked to defer, hands a delta's in-scope records over narrow, unread; a first read still reads them", async () => {
    const side = h.side({ entities: { contacts }, pageSize: 100 });
    const before = webApiRequests(h.sim.counters());
    const pages = await collect(side.readChanges("contacts", undefined, { deferFullRead: true }));
    expect(pages.flatMap((p) => p.records).some((r) => r.narrow)).toBe(false);
    expect(webApiRequests(h.sim.counters()) - before).toBe(6);

    for (const i of [1, 2, 40, 60]) h.sim.store.edit("contacts", guid(i + 1), { lastname: `Later${i}` });
    const mid = webApiRequests(h.sim.counters());
    const delta = (await collect(side.readChanges("contacts", pages.at(-1)!.cursor, { deferFullRead: true }))).flatMap((p) => p.records);
    expect(webApiRequests(h.sim.counters()) - mid).toBe(1);
    expect(delta.filter((r) => r.narrow).map((r) => r.id)).toEqual([guid(41), guid(61)]);
    for (const r of delta) for (const c of PERSONAL) expect(r.data).not.toHaveProperty(c);
  });

  it("tells how many ids one GET by id carries", async () => {
    const side = h.side({ entities: { contacts } });
    const n = side.idsPerRead("contacts");
    expect(n).toBeGreaterThan(10);
    const ids = Array.from({ length: n + 1 }, (_, i) => guid(i + 1));
    const before = webApiRequests(h.sim.counters());
    await side.getByIds("contacts", ids.slice(0, n));
    expect(webApiRequests(h.sim.counters()) - before).toBe(1);
    await side.getByIds("contacts", ids);
    expect(webApiRequests(h.sim.counters()) - before).toBe(3);
  });

  it("starts afresh from a delta link that reads every mapped column", async () => {
    const wide = h.side({ entities: { contacts: { ...contacts, delta: undefined } } });
    const cursor = (await collect(wide.readChanges("contacts", undefined))).at(-1)!.cursor;
    const pages = await collect(h.side({ entities: { contacts } }).readChanges("contacts", cursor));
    expect(pages[0]!.fullResync).toBe(true);
    expect(pages.flatMap((p) => p.records).filter((r) => "firstname" in r.data)).toHaveLength(15);
  });

  it("asked for columns by the caller, reads those as before", async () => {
    const side = h.side({ entities: { contacts } });
    const records = (await collect(side.readChanges("contacts", undefined, { select: ["firstname"] }))).flatMap((p) => p.records);
    expect(records.filter((r) => "firstname" in r.data)).toHaveLength(300);
  });
});
