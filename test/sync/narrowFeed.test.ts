/**
 * HLF's narrowed contact feed on the whole stack (shared/sync/fullReads.ts). On an incremental
 * run the feed hands its in-scope contacts over narrow; the run reads them by id where a unit
 * first needs them, in one GET with the unchanged partners of Meander records that drifted in a
 * portal-mastered field. A first run and a full resync after an expired token read them at once,
 * as their matching needs every column. Ordinary members outside scope are never read by id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, SideRecord } from "../../shared/core/types.js";
import type { ChangePage, RecordSide } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 47, people: 30, overlap: 1, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0, portalOnlyMembers: 20 };

interface Measured {
  readonly result: Awaited<ReturnType<Harness["service"]["runSync"]>>;
  readonly pages: ChangePage[];
  /** Each call of the portal's getByIds: the ids asked and the records answered. */
  readonly byId: { ids: readonly string[]; records: SideRecord[] }[];
  readonly dataverse: ReturnType<Harness["dataverse"]["counters"]>;
}

let h: Harness;
let first: Measured;
const pairs: Link[] = [];
/** Called before each getByIds of the portal (once), e.g. to change the portal between the feed and the read. */
let beforeById: (() => void) | undefined;

async function run(): Promise<Measured> {
  const pages: ChangePage[] = [];
  const byId: Measured["byId"] = [];
  const port: RecordSide = h.service.sides.portal;
  const readChanges = port.readChanges.bind(port);
  const getByIds = port.getByIds.bind(port);
  port.readChanges = (...args) =>
    (async function* () {
      for await (const page of readChanges(...args)) {
        pages.push(page);
        yield page;
      }
    })();
  port.getByIds = async (entity, ids, options) => {
    beforeById?.();
    beforeById = undefined;
    const records = await getByIds(entity, ids, options);
    byId.push({ ids, records });
    return records;
  };
  h.dataverse.resetCounters();
  try {
    const result = await h.service.runSync(L, { trigger: "timer" });
    return { result, pages, byId, dataverse: h.dataverse.counters() };
  } finally {
    port.readChanges = readChanges;
    port.getByIds = getByIds;
  }
}

const records = (m: Measured) => m.pages.flatMap((p) => p.records);
const contact = (id: string) => h.dataverse.store.get("contacts", id) as Record<string, unknown>;
const likeperson = (id: string) => h.meander.store.get(L, id)?.data as Record<string, unknown> & { contact: Record<string, unknown> };
const inScope = (id: string) => contact(id).hlf_likepersonstatus != null && contact(id).statecode === 0;
const expectSucceeded = (m: Measured) => expect([m.result.status, m.result.errors]).toEqual(["succeeded", []]);

beforeAll(async () => {
  h = await startHarness({ hlf: true, dataset: DATASET });
  first = await run();
  await run();
  for await (const link of h.service.deps.state.listLinks(L)) if (likeperson(link.meanderId).status === "active" && inScope(link.portalId)) pairs.push(link);
});
afterAll(async () => h?.close());

describe("a narrowed feed on HLF's likepersons config", () => {
  it("a first run reads the in-scope contacts of its pages at once, with their mapped columns", () => {
    expectSucceeded(first);
    expect(pairs.length).toBeGreaterThan(5);
    const read = records(first);
    expect(read.some((r) => r.narrow)).toBe(false);
    const scoped = read.filter((r) => inScope(r.id));
    expect(scoped.length).toBeGreaterThan(5);
    for (const r of scoped) expect(r.data).toHaveProperty("lastname");
  });

  it("an incremental run reads its in-scope changes and its drift partners in one GET by id, and applies them", async () => {
    const [drifted, portalOnly, both, alsoPortal] = pairs;
    const member = h.dataset!.portal.contacts.find((c) => c.hlf_likepersonstatus == null)!.contactid as string;
    // Meander's mobile drifts from the portal's (the portal masters it): the unchanged contact is read to put it back.
    const mobile = contact(drifted!.portalId).mobilephone;
    h.meander.store.edit(L, drifted!.meanderId, { contact: { ...likeperson(drifted!.meanderId).contact, mobile: "+47 400 00 001" } });
    h.dataverse.store.edit("contacts", portalOnly!.portalId, { lastname: "Portalsen" });
    h.dataverse.store.edit("contacts", alsoPortal!.portalId, { address1_city: "Bodø" });
    // Both sides of one pair: the Meander record takes its contact from the held changes.
    h.dataverse.store.edit("contacts", both!.portalId, { firstname: "Bothilde" });
    h.meander.store.edit(L, both!.meanderId, { chapter: "Tromsø" });
    h.dataverse.store.edit("contacts", member, { lastname: "Medlem" });

    const m = await run();
    expectSucceeded(m);
    expect(m.dataverse.byKind.delta).toBe(1);
    expect(m.dataverse.byKind.get).toBe(1);
    expect(m.byId).toHaveLength(1);
    expect(new Set(m.byId[0]!.ids)).toEqual(new Set([drifted!.portalId, portalOnly!.portalId, both!.portalId, alsoPortal!.portalId]));
    // The feed handed the in-scope ones over narrow: no personal column of anyone came with it.
    const feed = records(m);
    expect(
      feed
        .filter((r) => r.narrow)
        .map((r) => r.id)
        .sort(),
    ).toEqual([portalOnly!.portalId, both!.portalId, alsoPortal!.portalId].sort());
    for (const r of feed) expect(r.data).not.toHaveProperty("lastname");
    expect(feed.find((r) => r.id === member)).toBeDefined();

    expect(likeperson(drifted!.meanderId).contact.mobile).not.toBe("+47 400 00 001");
    expect(contact(drifted!.portalId).mobilephone).toBe(mobile);
    expect(likeperson(portalOnly!.meanderId).lastName).toBe("Portalsen");
    expect((likeperson(alsoPortal!.meanderId) as { address?: { city?: string } }).address?.city).toBe("Bodø");
    expect(likeperson(both!.meanderId).firstName).toBe("Bothilde");
    expect(contact(both!.portalId).hlf_localchapter).toBe("Tromsø");
  });

  it("a Meander change of a pair whose contact was merged into another: the survivor is read in the unit's one GET", async () => {
    const merged = pairs[6]!;
    const other = pairs[7]!;
    const old = contact(merged.portalId);
    const columns = [
      "lastname",
      "emailaddress1",
      "mobilephone",
      "address1_postalcode",
      "address1_city",
      "hlf_membernumber",
      "hlf_localchapter",
      "hlf_likepersonstatus",
    ];
    const survivor = h.dataverse.store.create("contacts", {
      ...Object.fromEntries(columns.map((c) => [c, old[c] ?? null])),
      firstname: `${String(old.firstname)}-Marie`,
    });
    h.dataverse.store.merge("contacts", survivor, merged.portalId);
    h.meander.store.edit(L, merged.meanderId, { trainingCompletedOn: "2026-11-30" });
    h.dataverse.store.edit("contacts", other.portalId, { lastname: "Annensen" });

    const m = await run();
    expect(m.result.errors).toEqual([]);
    expect(m.byId).toHaveLength(1);
    expect(m.byId[0]!.ids).toEqual(expect.arrayContaining([survivor, other.portalId]));
    expect((await h.service.deps.state.getLinks(L, [{ side: "meander", id: merged.meanderId }]))[0]?.portalId).toBe(survivor);
    expect(contact(survivor).hlf_meanderid).toBe(merged.meanderId);
    expect(likeperson(other.meanderId).lastName).toBe("Annensen");
  });

  it("a contact deleted between the feed and its read by id is left for the next feed, which unlinks it", async () => {
    const gone = pairs[5]!;
    h.dataverse.store.edit("contacts", gone.portalId, { lastname: "Snart-Borte" });
    beforeById = () => h.dataverse.store.remove("contacts", gone.portalId);
    const m = await run();
    expectSucceeded(m);
    expect(m.byId[0]?.ids).toContain(gone.portalId);
    expect(likeperson(gone.meanderId).lastName).not.toBe("Snart-Borte");
    expect(await h.service.deps.state.getLinks(L, [{ side: "portal", id: gone.portalId }])).toHaveLength(1);

    const next = await run();
    expectSucceeded(next);
    expect(next.pages.flatMap((p) => p.deletedIds)).toContain(gone.portalId);
    expect(await h.service.deps.state.getLinks(L, [{ side: "portal", id: gone.portalId }])).toHaveLength(0);
  });

  it("after an expired token the full read reads the in-scope contacts at once, none narrow", async () => {
    const edited = pairs[4]!;
    h.dataverse.store.edit("contacts", edited.portalId, { lastname: "Utløpt" });
    h.dataverse.store.expireDeltaTokens();
    const m = await run();
    expectSucceeded(m);
    expect(m.pages[0]?.fullResync).toBe(true);
    expect(records(m).some((r) => r.narrow)).toBe(false);
    const scoped = records(m).filter((r) => inScope(r.id));
    expect(scoped.length).toBeGreaterThan(5);
    for (const r of scoped) expect(r.data).toHaveProperty("lastname");
    expect(likeperson(edited.meanderId).lastName).toBe("Utløpt");
  });
});
