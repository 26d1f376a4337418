/**
 * HLF's configs (configs/) on real Azurite and both simulators: the member register stays
 * HLF's. No contact is created from Meander or deleted; member data flows portal → Meander
 * only and Meander's drift is put back; unsure matches become review items a person decides;
 * a contact that leaves scope is followed, never written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link } from "../../shared/core/types.js";
import type { ConflictRecord, RecordSide, WriteOp } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
let h: Harness;
let contactsBefore = 0;
let first: Awaited<ReturnType<Harness["service"]["runSync"]>>;
/** A Meander-only likeperson whose member number was never filled in. */
let noNumber = "";

const open = async (kind: string) => (await h.service.listConflicts(L, "open")).filter((c) => c.kind === kind);
const linkOf = async (side: "meander" | "portal", id: string): Promise<Link | undefined> => (await h.service.deps.state.getLinks(L, [{ side, id }]))[0];
const itemFor = (items: readonly ConflictRecord[], meanderId: string) => items.find((c) => c.meanderId === meanderId);

beforeAll(async () => {
  h = await startHarness({
    hlf: true,
    dataset: {
      seed: 12,
      people: 60,
      overlap: 0.7,
      conflictingShare: 0,
      formatNoiseShare: 0.2,
      ambiguousShare: 0.04,
      portalOnlyMembers: 10,
      inactiveMatches: 1,
      mergedContacts: 1,
    },
  });
  noNumber = h.dataset!.truth.meanderOnly[0]!;
  h.meander.store.edit("likepersons", noNumber, { memberNumber: null });
  contactsBefore = h.dataverse.store.list("contacts").length;
  first = await h.service.runSync(L, { trigger: "timer" });
});
afterAll(async () => h?.close());

describe("a first run on HLF's configs", () => {
  it("creates and deletes no contact, and parks each unsure case as a review item of its kind", async () => {
    expect(first.errors).toEqual([]);
    expect(first.counts.portal.created).toBe(0);
    expect(first.counts.portal.deleted).toBe(0);
    expect(h.dataverse.store.list("contacts")).toHaveLength(contactsBefore);
    const truth = h.dataset!.truth;

    const unmatched = await open("unmatched");
    const status = (id: string) => (h.meander.store.get("likepersons", id)?.data as Record<string, unknown>).status;
    const lone = [...truth.meanderOnly, ...truth.inactive.map((i) => i.meanderId)];
    for (const id of lone) {
      // A retired likeperson without a partner is left alone; every other one waits for a person.
      if (status(id) === "retired") expect(itemFor(unmatched, id), id).toBeUndefined();
      else expect(itemFor(unmatched, id), id).toBeDefined();
    }
    expect(lone.filter((id) => status(id) !== "retired").length).toBeGreaterThan(2);
    expect(itemFor(unmatched, noNumber)?.hasMemberNumber).toBe(false);
    expect(itemFor(unmatched, truth.meanderOnly[1]!)?.hasMemberNumber).toBe(true);

    const confirm = await open("confirmMatch");
    const byEmail = truth.pairs.filter((p) => p.matchBy === "email");
    expect(byEmail.length).toBeGreaterThan(0);
    for (const pair of byEmail) expect(itemFor(confirm, pair.meanderId)).toMatchObject({ candidates: [pair.portalId], matchKey: "contact.email" });
    for (const amb of truth.ambiguous) expect(itemFor(await open("ambiguous"), amb.meanderId)).toBeDefined();

    // Coupled only by member number; the e-mail-only ones wait for a person. Retired likepersons never linked stay apart.
    for (const pair of truth.pairs.filter((p) => p.matchBy === "memberNumber")) {
      const link = await linkOf("meander", pair.meanderId);
      expect(link?.portalId).toBe(status(pair.meanderId) === "retired" ? undefined : pair.portalId);
    }
    for (const pair of byEmail) expect(await linkOf("meander", pair.meanderId)).toBeUndefined();
    // Portal likepersons without a Meander record are still created in Meander (not retired ones).
    const retired = (id: string) => h.dataverse.store.get("contacts", id)?.hlf_likepersonstatus === 100000002;
    for (const id of truth.portalOnly) expect(Boolean((await linkOf("portal", id))?.meanderId)).toBe(!retired(id));
  });

  it("never couples an inactive contact; a merged member couples with the surviving contact", async () => {
    const [inactive] = h.dataset!.truth.inactive;
    expect(await linkOf("portal", inactive!.portalId)).toBeUndefined();
    const [merged] = h.dataset!.truth.merged;
    expect((await linkOf("meander", merged!.meanderId))?.portalId).toBe(merged!.masterId);
    expect(await linkOf("portal", merged!.mergedId)).toBeUndefined();
  });

  it("a review item shows what tells the records apart, with links into both systems", async () => {
    const [pair] = h.dataset!.truth.pairs.filter((p) => p.matchBy === "email");
    const item = itemFor(await open("confirmMatch"), pair!.meanderId)!;
    const m = h.meander.store.get("likepersons", pair!.meanderId)!.data as Record<string, unknown>;
    expect(item.subject).toMatchObject({ side: "meander", id: pair!.meanderId, values: { firstName: m.firstName, lastName: m.lastName } });
    const [candidate] = item.candidateDetails ?? [];
    expect(candidate).toMatchObject({ side: "portal", id: pair!.portalId, active: true, values: { memberNumber: null } });
    expect(candidate?.url).toBe(`${h.env.DATAVERSE_URL!.replace(/\/+$/, "")}/main.aspx?pagetype=entityrecord&etn=contact&id=${pair!.portalId}`);
  });

  it("GET configs says which side is master of each field", () => {
    const config = h.service.listConfigs().find((c) => c.id === L)!;
    const master = Object.fromEntries(config.fields.map((f) => [f.meander, f.master]));
    expect(master).toMatchObject({ firstName: "portal", "contact.email": "portal", memberNumber: "portal", status: "meander", chapter: null });
    expect(config.matchKeys.map((k) => k.autoCouple)).toEqual([true, false]);
  });
});

describe("a person decides", () => {
  it("an unmatched likeperson linked to a contact couples on the next run; the item's values are erased", async () => {
    const meanderId = h.dataset!.truth.meanderOnly[1]!;
    const item = itemFor(await open("unmatched"), meanderId)!;
    const member = h.dataverse.store.list("contacts").find((c) => c.hlf_likepersonstatus == null && c.statecode === 0)!;
    const resolved = await h.service.resolveConflict(L, item.conflictId, { choice: "value", values: { partner: member.contactid as string } });
    expect(resolved.subject).toEqual({ side: "meander", id: meanderId });
    const run = await h.service.runSync(L, { trigger: "manual" });
    expect(run.conflicts.resolved).toBe(1);
    expect((await linkOf("meander", meanderId))?.portalId).toBe(member.contactid);
    // Meander is master of the likeperson status: the contact now carries it.
    expect(h.dataverse.store.get("contacts", member.contactid as string)).toMatchObject({ hlf_meanderid: meanderId });
    expect(h.dataverse.store.get("contacts", member.contactid as string)?.hlf_likepersonstatus).not.toBeNull();
    expect((await h.service.deps.state.getConflict(L, item.conflictId))?.resolution?.appliedAt).toBeTruthy();
  });

  it("a new contact is refused for a record without a membership number, and made for one with it", async () => {
    const without = itemFor(await open("unmatched"), noNumber)!;
    await expect(h.service.resolveConflict(L, without.conflictId, { choice: "value", values: { partner: null } })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    const meanderId = h.dataset!.truth.meanderOnly[2]!;
    const item = itemFor(await open("unmatched"), meanderId)!;
    await h.service.resolveConflict(L, item.conflictId, { choice: "value", values: { partner: null } });
    const run = await h.service.runSync(L, { trigger: "manual" });
    expect(run.counts.portal.created).toBe(1);
    const created = h.dataverse.store.list("contacts").filter((c) => c.hlf_meanderid === meanderId);
    expect(created).toHaveLength(1);
    const m = h.meander.store.get("likepersons", meanderId)!.data as Record<string, unknown>;
    expect(created[0]).toMatchObject({ firstname: m.firstName, hlf_membernumber: m.memberNumber });
  });

  it("a confirmed e-mail match couples", async () => {
    const [pair] = h.dataset!.truth.pairs.filter((p) => p.matchBy === "email");
    const item = itemFor(await open("confirmMatch"), pair!.meanderId)!;
    await h.service.resolveConflict(L, item.conflictId, { choice: "value", values: { partner: pair!.portalId } });
    await h.service.runSync(L, { trigger: "manual" });
    expect((await linkOf("meander", pair!.meanderId))?.portalId).toBe(pair!.portalId);
  });
});

/** A linked pair of an active likeperson no other test has used. */
const used = new Set<string>();
async function aPair(): Promise<Link> {
  for await (const link of h.service.deps.state.listLinks(L)) {
    const m = h.meander.store.get("likepersons", link.meanderId)?.data as Record<string, unknown> | undefined;
    if (used.has(link.meanderId) || m?.status !== "active" || link.parked?.length) continue;
    used.add(link.meanderId);
    return link;
  }
  throw new Error("no pair left");
}

describe("after the first run", () => {
  it("a Meander edit of member data is put back from the portal and counted; the contact is not written", async () => {
    const link = await aPair();
    const contact = h.dataverse.store.get("contacts", link.portalId)!;
    h.meander.store.edit("likepersons", link.meanderId, { firstName: "Endret", contact: { email: "changed@example.org" } });
    const run = await h.service.runSync(L, { trigger: "timer" });
    expect(run.counts.meander.reasserted).toBe(1);
    expect(run.counts.portal.updated).toBe(0);
    expect(h.dataverse.store.get("contacts", link.portalId)).toEqual(contact);
    const data = h.meander.store.get("likepersons", link.meanderId)!.data as Record<string, unknown>;
    expect(data.firstName).toBe(contact.firstname);
    expect((data.contact as Record<string, unknown>).email).toBe(String(contact.emailaddress1).trim().toLowerCase());
  });

  it("a deleted likeperson retires the contact: status retired, link field cleared, unlinked, nothing deleted", async () => {
    const link = await aPair();
    h.meander.store.remove("likepersons", link.meanderId);
    const run = await h.service.runSync(L, { trigger: "timer" });
    expect(run.counts.portal).toMatchObject({ retired: 1, deleted: 0 });
    expect(run.notes.some((n) => n.includes(link.portalId) && n.includes("retired"))).toBe(true);
    expect(h.dataverse.store.get("contacts", link.portalId)).toMatchObject({ hlf_likepersonstatus: 100000002, hlf_meanderid: null });
    expect(await linkOf("portal", link.portalId)).toBeUndefined();
  });

  it.each([
    ["deactivated", { statecode: 1, statuscode: 2 }],
    ["its likeperson status cleared", { hlf_likepersonstatus: null }],
  ])("a contact %s retires the likeperson in Meander and unlinks; the contact is never written again", async (_, change) => {
    const link = await aPair();
    h.dataverse.store.edit("contacts", link.portalId, change);
    const contact = h.dataverse.store.get("contacts", link.portalId)!;
    await h.service.runSync(L, { trigger: "timer" });
    expect(h.meander.store.get("likepersons", link.meanderId)?.data).toMatchObject({ status: "retired", portalContactId: null });
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();
    // The echo of that write, and a full re-read, do not couple them again or touch the contact.
    await h.service.runSync(L, { trigger: "timer" });
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();
    expect(h.dataverse.store.get("contacts", link.portalId)).toEqual(contact);
  });
});

describe("after a full read", () => {
  it("a linked contact that vanished while the delta token was lost is read by id and unlinked, not left stale", async () => {
    const link = await aPair();
    h.dataverse.store.remove("contacts", link.portalId);
    h.dataverse.store.expireDeltaTokens();
    const run = await h.service.runSync(L, { trigger: "timer" });
    expect(run.notes.some((n) => n.includes("full read"))).toBe(true);
    expect(await linkOf("meander", link.meanderId)).toBeUndefined();
    // The likeperson stays: a portal deletion only unlinks.
    expect(h.meander.store.get("likepersons", link.meanderId)).toBeDefined();
  });
});

describe("one bad record never stops a run", () => {
  it("the same transient error for the same record in 3 runs in a row goes to the ledger; the other records go on", async () => {
    const link = await aPair();
    const other = await aPair();
    const real = h.service.sides.portal;
    // Dataverse answering this one record's write with a 500 inside a batch that otherwise succeeds.
    const flaky: RecordSide = {
      side: "portal",
      readChanges: (...args) => real.readChanges(...args),
      getByIds: (...args) => real.getByIds(...args),
      findByField: (...args) => real.findByField(...args),
      write: async (entity, ops: readonly WriteOp[]) => {
        const outcomes = await real.write(
          entity,
          ops.filter((op) => !(op.op === "update" && op.id === link.portalId)),
        );
        const failed = ops
          .filter((op) => op.op === "update" && op.id === link.portalId)
          .map((op) => ({
            ref: op.ref,
            ok: false as const,
            error: { kind: "transient" as const, code: "SERVER_ERROR", message: "Dataverse answered 500", status: 500 },
          }));
        return [...outcomes, ...failed];
      },
    };
    const service = await h.another({ sides: { portal: flaky } });
    h.meander.store.edit("likepersons", link.meanderId, { trainingCompletedOn: "2024-01-15" });
    h.meander.store.edit("likepersons", other.meanderId, { trainingCompletedOn: "2024-01-20" });
    const statuses: string[] = [];
    // Until then it may be the side (the run stops, nothing lost); the third time it is this record.
    for (let i = 0; i < 3; i++) statuses.push((await service.runSync(L, { trigger: "timer" })).status);
    expect(statuses).toEqual(["incomplete", "incomplete", "partial"]);
    expect(h.dataverse.store.get("contacts", other.portalId)?.hlf_trainingcompletedon).toBe("2024-01-20");
    expect(h.dataverse.store.get("contacts", link.portalId)?.hlf_trainingcompletedon).not.toBe("2024-01-15");
    // Later runs go on past it: the record stays in the ledger with its code.
    h.meander.store.edit("likepersons", other.meanderId, { trainingCompletedOn: "2024-02-20" });
    expect((await service.runSync(L, { trigger: "timer" })).status).toBe("partial");
    expect(h.dataverse.store.get("contacts", other.portalId)?.hlf_trainingcompletedon).toBe("2024-02-20");
    const [entry] = (await service.deps.state.listLedger(L)).filter((e) => e.recordId === link.meanderId);
    expect(entry).toMatchObject({ side: "meander", attempts: 2, transientRuns: 3, lastError: { code: "SERVER_ERROR" } });
  });
});
