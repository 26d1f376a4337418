/**
 * Merged contacts on HLF's configs, real Azurite and both simulators: when the CRM merges a
 * linked contact into another (Dataverse's Merge action: the subordinate deactivated,
 * `merged`, `masterid` naming the survivor), the likeperson's link moves to the survivor in
 * the same run, by the ordinary coupling (survivor's member data to Meander, Meander's
 * likeperson data to the survivor, both link fields), planned against the survivor's current
 * version. Where a move would give a contact two partners, or the survivor is no active
 * contact, a person decides. And a contact that left scope and comes back couples again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, SideRecord, SyncResult } from "../../shared/core/types.js";
import type { RecordSide } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const ACTIVE = 100000000;
let h: Harness;

const linkOf = async (side: "meander" | "portal", id: string): Promise<Link | undefined> => (await h.service.deps.state.getLinks(L, [{ side, id }]))[0];
const contact = (id: string) => h.dataverse.store.get("contacts", id)!;
const likeperson = (id: string) => h.meander.store.get("likepersons", id)!.data as Record<string, unknown>;
const openItems = async (kind: string) => (await h.service.listConflicts(L, "open")).filter((c) => c.kind === kind);

/** A second contact of the same member, as a CRM user's duplicate would be: same member number, its own name spelling. */
function duplicateOf(portalId: string, changes: Record<string, unknown> = {}): string {
  const old = contact(portalId);
  const columns = ["lastname", "emailaddress1", "mobilephone", "address1_postalcode", "address1_city", "hlf_membernumber", "hlf_localchapter"];
  return h.dataverse.store.create("contacts", {
    ...Object.fromEntries(columns.map((c) => [c, old[c] ?? null])),
    firstname: `${String(old.firstname)}-Marie`,
    hlf_likepersonstatus: old.hlf_likepersonstatus,
    ...changes,
  });
}

/** Writes each simulator counted during `run`. */
async function counted(run: () => Promise<SyncResult>) {
  const dv = h.dataverse.counters().recordsWritten;
  const md = h.meander.counters().recordsWritten;
  const result = await run();
  return { result, portalWrites: h.dataverse.counters().recordsWritten - dv, meanderWrites: h.meander.counters().recordsWritten - md };
}

const sync = () => h.service.runSync(L, { trigger: "timer" });
const no412 = (run: SyncResult) => expect(run.errors.filter((e) => e.status === 412 || e.code.includes("412") || e.code === "PRECONDITION_FAILED")).toEqual([]);

beforeAll(async () => {
  h = await startHarness({
    hlf: true,
    dataset: { seed: 41, people: 50, overlap: 0.8, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0, portalOnlyMembers: 12 },
  });
  await sync();
});
afterAll(async () => h?.close());

/** A linked pair of an active likeperson no other test has used. */
const used = new Set<string>();
async function aPair(): Promise<Link> {
  for await (const link of h.service.deps.state.listLinks(L)) {
    if (used.has(link.meanderId) || likeperson(link.meanderId).status !== "active" || link.parked?.length) continue;
    used.add(link.meanderId);
    return link;
  }
  throw new Error("no pair left");
}

/** An active ordinary member (no likeperson status) no other test has used. */
function aMember(): string {
  const member = h.dataverse.store
    .list("contacts")
    .find((c) => c.hlf_likepersonstatus == null && c.statecode === 0 && c.hlf_meanderid == null && !used.has(c.contactid as string));
  used.add(member!.contactid as string);
  return member!.contactid as string;
}

describe("a linked contact merged into another", () => {
  it("into an unlinked likeperson contact: the link moves there in the same run, planned on the survivor's current version", async () => {
    const link = await aPair();
    const survivor = duplicateOf(link.portalId);
    // The merge keeps the survivor's values and changes its version (UpdateContent), and the subordinate's.
    h.dataverse.store.merge("contacts", survivor, link.portalId, { address1_city: "Bodø" });
    const { result, portalWrites, meanderWrites } = await counted(sync);

    no412(result);
    expect(result.errors).toEqual([]);
    expect(result.notes).toContain(`portal record ${link.portalId} was merged into ${survivor}: meander record ${link.meanderId} moved to it`);
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: survivor });
    expect(await linkOf("portal", link.portalId)).toBeUndefined();
    // Both records name each other; the merged-away contact gave up the key and nothing else.
    expect(contact(survivor)).toMatchObject({ hlf_meanderid: link.meanderId, hlf_likepersonstatus: ACTIVE, statecode: 0 });
    expect(contact(link.portalId)).toMatchObject({ hlf_meanderid: null, statecode: 1, merged: true, _masterid_value: survivor });
    expect(likeperson(link.meanderId)).toMatchObject({ portalContactId: survivor, firstName: contact(survivor).firstname, address: { city: "Bodø" } });
    // The key released on the merged-away contact, the survivor's link field, the likeperson: one write each.
    expect({ portalWrites, meanderWrites }).toEqual({ portalWrites: 2, meanderWrites: 1 });
    expect(result.counts.portal).toMatchObject({ created: 0, deleted: 0, failed: 0 });
    expect(result.counts.meander).toMatchObject({ created: 0, failed: 0 });

    // Settled: the next run reads the echoes and writes nothing.
    const again = await counted(sync);
    expect({ portal: again.portalWrites, meander: again.meanderWrites, errors: again.result.errors }).toEqual({ portal: 0, meander: 0, errors: [] });
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: survivor });
  });

  it("into an ordinary member: couples and carries the likeperson status there; no other out-of-scope contact's personal data is read", async () => {
    const link = await aPair();
    const member = aMember();
    const bystander = aMember();
    h.dataverse.store.edit("contacts", bystander, { telephone1: null, address1_city: "Hamar" });
    h.dataverse.store.merge("contacts", member, link.portalId);
    const personal = new Set<string>();
    const real = h.service.sides.portal;
    const note = (records: SideRecord[]) => {
      for (const r of records) if ("firstname" in r.data) personal.add(r.id);
      return records;
    };
    const spy: RecordSide = {
      side: "portal",
      readChanges: async function* (...args) {
        for await (const page of real.readChanges(...args)) yield { ...page, records: note([...page.records]) };
      },
      getByIds: async (...args) => note(await real.getByIds(...args)),
      findByField: async (...args) => note(await real.findByField(...args)),
      write: (...args) => real.write(...args),
    };
    const service = await h.another({ sides: { portal: spy } });
    const status = likeperson(link.meanderId).status;
    const result = await service.runSync(L, { trigger: "timer" });

    no412(result);
    expect(result.errors).toEqual([]);
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: member });
    // Meander is master of the likeperson status: the survivor becomes the likeperson's contact.
    expect(contact(member)).toMatchObject({ hlf_meanderid: link.meanderId, hlf_likepersonstatus: ACTIVE });
    expect(likeperson(link.meanderId)).toMatchObject({ portalContactId: member, status, firstName: contact(member).firstname });
    // Read in full: the survivor (it is coupled), never the merged-away contact nor the ordinary member next to it.
    expect(personal.has(member)).toBe(true);
    expect(personal.has(link.portalId)).toBe(false);
    expect(personal.has(bystander)).toBe(false);
  });

  it("while the likeperson changed too: the Meander edit flows to the survivor with the move", async () => {
    const link = await aPair();
    const survivor = duplicateOf(link.portalId);
    h.dataverse.store.merge("contacts", survivor, link.portalId);
    h.meander.store.edit("likepersons", link.meanderId, { trainingCompletedOn: "2025-03-04" });
    const result = await sync();
    no412(result);
    expect(result.errors).toEqual([]);
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: survivor });
    expect(contact(survivor)).toMatchObject({ hlf_meanderid: link.meanderId, hlf_trainingcompletedon: "2025-03-04" });
    expect(likeperson(link.meanderId).portalContactId).toBe(survivor);
  });

  it("into a contact that was merged again: the chain is followed to the last survivor", async () => {
    const link = await aPair();
    const middle = duplicateOf(link.portalId);
    const last = aMember();
    h.dataverse.store.merge("contacts", middle, link.portalId);
    h.dataverse.store.merge("contacts", last, middle);
    const result = await sync();
    expect(result.errors).toEqual([]);
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: last });
    expect(contact(last).hlf_meanderid).toBe(link.meanderId);
    expect(contact(middle).hlf_meanderid ?? null).toBeNull();
    expect(likeperson(link.meanderId).portalContactId).toBe(last);
  });

  it("two likepersons merged into one contact: never two partners; a person decides, nothing is written", async () => {
    const link = await aPair();
    const other = await aPair();
    h.dataverse.store.merge("contacts", other.portalId, link.portalId);
    const before = { survivor: contact(other.portalId), mergedAway: contact(link.portalId), likeperson: likeperson(link.meanderId) };
    const { result, portalWrites, meanderWrites } = await counted(sync);

    expect(result.errors).toEqual([]);
    expect({ portalWrites, meanderWrites }).toEqual({ portalWrites: 0, meanderWrites: 0 });
    expect(contact(other.portalId)).toEqual(before.survivor);
    expect(contact(link.portalId)).toEqual(before.mergedAway);
    expect(likeperson(link.meanderId)).toEqual(before.likeperson);
    expect(await linkOf("meander", other.meanderId)).toMatchObject({ portalId: other.portalId });
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();
    const item = (await openItems("ambiguous")).find((c) => c.meanderId === link.meanderId);
    expect(item).toMatchObject({ candidates: [other.portalId], matchKey: "_masterid_value" });
    expect(item?.candidateDetails?.[0]).toMatchObject({ side: "portal", id: other.portalId, active: true });
    expect(result.notes.some((n) => n.includes(link.portalId) && n.includes("parked for review"))).toBe(true);

    // Later runs leave it waiting for the person.
    const again = await counted(sync);
    expect({ portal: again.portalWrites, meander: again.meanderWrites }).toEqual({ portal: 0, meander: 0 });
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();
  });

  it("into a contact that is inactive: a person decides, nothing is written", async () => {
    const link = await aPair();
    const survivor = duplicateOf(link.portalId, { statecode: 1, statuscode: 2 });
    h.dataverse.store.merge("contacts", survivor, link.portalId);
    const status = likeperson(link.meanderId).status;
    const { result, portalWrites, meanderWrites } = await counted(sync);
    expect(result.errors).toEqual([]);
    expect({ portalWrites, meanderWrites }).toEqual({ portalWrites: 0, meanderWrites: 0 });
    expect(likeperson(link.meanderId)).toMatchObject({ status, portalContactId: link.portalId });
    const item = (await openItems("ambiguous")).find((c) => c.meanderId === link.meanderId);
    expect(item?.candidateDetails?.[0]).toMatchObject({ id: survivor, active: false });
  });
});

describe("a likeperson still named by a contact merged away, without a stored link", () => {
  it("couples by member number with the survivor; the merged-away contact gives up the key first (no 412)", async () => {
    const link = await aPair();
    // As an older version left it: unlinked at the merge, neither record written.
    await h.service.deps.state.deleteLinks(L, [link]);
    const survivor = duplicateOf(link.portalId);
    h.dataverse.store.merge("contacts", survivor, link.portalId);
    h.meander.store.edit("likepersons", link.meanderId, { trainingCompletedOn: "2025-05-06" });
    const result = await sync();
    no412(result);
    expect(result.errors).toEqual([]);
    expect(result.notes).toContain(
      `portal record ${link.portalId} (merged away) gave up its link field: meander record ${link.meanderId} coupled with ${survivor}`,
    );
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: survivor });
    expect(contact(survivor)).toMatchObject({ hlf_meanderid: link.meanderId, hlf_trainingcompletedon: "2025-05-06" });
    expect(contact(link.portalId).hlf_meanderid).toBeNull();
    expect(likeperson(link.meanderId).portalContactId).toBe(survivor);
  });
});

describe("a contact coming back into scope", () => {
  it.each([
    ["reactivated", { statecode: 1, statuscode: 2 }, { statecode: 0, statuscode: 1 }],
    ["its likeperson status set again", { hlf_likepersonstatus: null }, { hlf_likepersonstatus: ACTIVE }],
  ])("%s: couples with its likeperson again by member number; no duplicate on either side", async (_, leave, back) => {
    const link = await aPair();
    h.dataverse.store.edit("contacts", link.portalId, leave);
    await sync();
    expect(likeperson(link.meanderId)).toMatchObject({ status: "retired", portalContactId: null });
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();

    const likepersons = h.meander.store.list("likepersons").length;
    const contacts = h.dataverse.store.list("contacts").length;
    h.dataverse.store.edit("contacts", link.portalId, back);
    const result = await sync();
    expect(result.errors).toEqual([]);
    expect(await linkOf("meander", link.meanderId)).toMatchObject({ portalId: link.portalId });
    // The retirement was the service's own scope exit, not a choice made in Meander: it is taken back.
    expect(likeperson(link.meanderId)).toMatchObject({ portalContactId: link.portalId, status: "active" });
    expect(h.meander.store.list("likepersons")).toHaveLength(likepersons);
    expect(h.dataverse.store.list("contacts")).toHaveLength(contacts);
    // The contact keeps the status its portal user set when bringing it back.
    expect(contact(link.portalId)).toMatchObject({ hlf_meanderid: link.meanderId, statecode: 0, hlf_likepersonstatus: ACTIVE });
  });
});
