import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guid, type Harness, startHarness } from "./harness.js";

const TRICKY = [
  "o'brien@example.no",
  "100%sure@example.no",
  "hash#tag@example.no",
  "rock&roll@example.no",
  "plus+tag@example.no",
  "slash/name@example.no",
  "blåbær.ærlig@example.no",
  "Øyvind@EXAMPLE.no",
];

describe("findByField and getByIds against the simulator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.sim.store.seed("contacts", [
      ...TRICKY.map((email, i) => ({ contactid: guid(i + 1), emailaddress1: email, hlf_membernumber: 1000 + i })),
      ...Array.from({ length: 600 }, (_, i) => ({ contactid: guid(100 + i), emailaddress1: `member${i}@example.no`, hlf_meanderid: `m-${i}` })),
    ]);
  });
  afterAll(() => h.sim.close());

  it("match values with ' % # & + / æ ø å round-trip, in one request", async () => {
    const side = h.side();
    h.sim.resetCounters();
    const found = await side.findByField("contacts", "emailaddress1", TRICKY);
    expect(found.map((r) => r.data["emailaddress1"]).sort()).toEqual([...TRICKY].sort());
    expect(h.sim.counters().byKind.get).toBe(1);
    expect(h.sim.counters().byKind.batch).toBe(0);
  });

  it("compares strings case-insensitively, as Dataverse does", async () => {
    const found = await h.side().findByField("contacts", "emailaddress1", ["øyvind@example.NO"]);
    expect(found.map((r) => r.id)).toEqual([guid(8)]);
  });

  it("an injection attempt is a literal that finds nothing", async () => {
    const side = h.side();
    expect(await side.findByField("contacts", "emailaddress1", ["x' or 1 eq 1 or 'a' eq 'a"])).toEqual([]);
    expect(await side.findByField("contacts", "emailaddress1", ["') or contains(emailaddress1,'a"])).toEqual([]);
    expect(await side.getByIds("contacts", [`${guid(1)}) or (contactid ne null`])).toEqual([]);
  });

  it("finds many values in few plain GETs, each under the client's URL limit", async () => {
    const side = h.side();
    const values = Array.from({ length: 600 }, (_, i) => `member${i}@example.no`);
    h.sim.resetCounters();
    const found = await side.findByField("contacts", "emailaddress1", values);
    expect(found).toHaveLength(600);
    const counters = h.sim.counters();
    // An e-mail clause costs ~58 URL-encoded characters: ~33 fit under the limit, so 600 values take 19 GETs; none became a $batch.
    expect(counters.byKind.batch).toBe(0);
    expect(counters.byKind.get).toBeLessThanOrEqual(Math.ceil(600 / 32));
  });

  it("numbers are compared as numbers", async () => {
    const found = await h.side().findByField("contacts", "hlf_membernumber", [1002, 1003]);
    expect(found.map((r) => r.id).sort()).toEqual([guid(3), guid(4)]);
  });

  it("getByIds chunks by id, returns each record once and leaves out ids that do not exist", async () => {
    const side = h.side();
    const ids = [...Array.from({ length: 300 }, (_, i) => guid(100 + i)), guid(99_999), guid(100)];
    h.sim.resetCounters();
    const records = await side.getByIds("contacts", ids);
    expect(records).toHaveLength(300);
    expect(new Set(records.map((r) => r.id)).size).toBe(300);
    // ~63 encoded characters per id clause: ~30 ids per GET.
    expect(h.sim.counters().byKind.get).toBeLessThanOrEqual(Math.ceil(300 / 29));
    expect(records[0]!.version).toMatch(/^W\/"\d+"$/);
  });
});
