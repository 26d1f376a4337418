/**
 * Runs after the first: edits flow across, conflicts are resolved by owner or parked and
 * then resolved by a person, deletes follow the delete policy, the mass-delete guard
 * holds, dry runs write nothing, and failed records go to the ledger and recover.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, linkedPairs, startHarness } from "./harness.js";

let h: Harness;
const L = "likepersons";

async function aPair(skip = 0) {
  const pairs = (await linkedPairs(h)).filter((p) => p.meanderData && !p.link.parked?.length);
  return pairs[skip]!;
}

beforeAll(async () => {
  h = await startHarness({ dataset: { seed: 11, people: 60, overlap: 0.8, conflictingShare: 0, formatNoiseShare: 0.2, ambiguousShare: 0 } });
  const first = await h.service.runSync(L, { trigger: "timer" });
  expect(first.status).toBe("succeeded");
});
afterAll(async () => h?.close());

describe("edits after the first run", () => {
  it("flow across field by field, each to the other side", async () => {
    const a = await aPair(0);
    const b = await aPair(1);
    h.meander.store.edit("likepersons", a.link.meanderId, { address: { city: "Tromsø" }, status: "paused" });
    h.dataverse.store.edit("contacts", b.link.portalId, { mobilephone: "+47 912 34 567", firstname: "Åse" });
    const result = await h.service.runSync(L, { trigger: "timer" });
    expect(result.status).toBe("succeeded");
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toMatchObject({ address1_city: "Tromsø", hlf_likepersonstatus: 100000001 });
    expect(h.meander.store.get("likepersons", b.link.meanderId)?.data).toMatchObject({ firstName: "Åse", contact: { mobile: "+4791234567" } });
    expect(result.counts.portal.updated).toBe(1);
    expect(result.counts.meander.updated).toBe(1);
  });

  it("resolve a conflict by the field's owner and park a manual one until a person decides", async () => {
    const a = await aPair(2);
    // city is the portal's; chapter is manual.
    h.meander.store.edit("likepersons", a.link.meanderId, { address: { city: "Alta" }, chapter: "HLF Alta" });
    h.dataverse.store.edit("contacts", a.link.portalId, { address1_city: "Narvik", hlf_localchapter: "HLF Narvik" });
    const result = await h.service.runSync(L, { trigger: "timer" });
    expect(result.conflicts).toMatchObject({ found: 1, autoResolved: 1 });
    expect(h.meander.store.get("likepersons", a.link.meanderId)?.data).toMatchObject({ address: { city: "Narvik" }, chapter: "HLF Alta" });
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toMatchObject({ address1_city: "Narvik", hlf_localchapter: "HLF Narvik" });

    const [conflict] = (await h.service.listConflicts(L, "open")).filter((c) => c.meanderId === a.link.meanderId);
    expect(conflict).toMatchObject({ kind: "fieldConflict", status: "open", fields: [{ field: "chapter", meander: "HLF Alta", portal: "HLF Narvik" }] });
    // Still parked on the next run: nothing written, nothing new found.
    const again = await h.service.runSync(L, { trigger: "timer" });
    expect(again.conflicts.found).toBe(0);
    expect(again.conflicts.open).toBeGreaterThanOrEqual(1);
    expect(h.meander.store.get("likepersons", a.link.meanderId)?.data).toMatchObject({ chapter: "HLF Alta" });

    await h.service.resolveConflict(L, conflict!.conflictId, { choice: "value", values: { chapter: "HLF Ofoten" }, resolvedBy: "admin" });
    const applied = await h.service.runSync(L, { trigger: "manual" });
    expect(applied.conflicts.resolved).toBe(1);
    expect(h.meander.store.get("likepersons", a.link.meanderId)?.data).toMatchObject({ chapter: "HLF Ofoten" });
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toMatchObject({ hlf_localchapter: "HLF Ofoten" });
    const stored = await h.service.deps.state.getConflict(L, conflict!.conflictId);
    expect(stored).toMatchObject({ status: "resolved", resolution: { choice: "value", resolvedBy: "admin" } });
    expect(stored?.resolution?.appliedAt).toBeTruthy();
  });

  it("a dry run returns the plan and writes nothing", async () => {
    const a = await aPair(3);
    h.meander.store.edit("likepersons", a.link.meanderId, { address: { postalCode: "9008" } });
    h.dataverse.resetCounters();
    h.meander.resetCounters();
    const before = await h.service.getSyncHistory(L, 100);
    const dry = await h.service.runSync(L, { trigger: "manual", dryRun: true });
    expect(dry.plan?.updates).toContainEqual({ side: "portal", id: a.link.portalId, fields: ["address.postalCode"] });
    expect(h.dataverse.counters().recordsWritten + h.meander.counters().recordsWritten).toBe(0);
    expect(await h.service.getSyncHistory(L, 100)).toHaveLength(before.length);
    // The real run then does what the dry run said.
    await h.service.runSync(L, { trigger: "manual" });
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toMatchObject({ address1_postalcode: "9008" });
  });
});

describe("deletes", () => {
  it("a Meander delete deletes the contact; a portal delete only unlinks", async () => {
    const a = await aPair(4);
    const b = await aPair(5);
    h.meander.store.remove("likepersons", a.link.meanderId);
    h.dataverse.store.remove("contacts", b.link.portalId);
    const result = await h.service.runSync(L, { trigger: "timer" });
    expect(result.status).toBe("succeeded");
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toBeUndefined();
    expect(h.meander.store.get("likepersons", b.link.meanderId)).toBeDefined();
    const links = await h.service.deps.state.getLinks(L, [
      { side: "meander", id: a.link.meanderId },
      { side: "meander", id: b.link.meanderId },
    ]);
    expect(links).toEqual([]);
  });

  it("a contact whose likeperson status is cleared is unlinked, never deleted", async () => {
    const a = await aPair(6);
    h.dataverse.store.edit("contacts", a.link.portalId, { hlf_likepersonstatus: null });
    await h.service.runSync(L, { trigger: "timer" });
    expect(h.meander.store.get("likepersons", a.link.meanderId)).toBeDefined();
    expect(h.dataverse.store.get("contacts", a.link.portalId)).toBeDefined();
    expect(await h.service.deps.state.getLinks(L, [{ side: "portal", id: a.link.portalId }])).toEqual([]);
  });

  it("the mass-delete guard stops a run that would delete too much, and deletes nothing", async () => {
    const pairs = (await linkedPairs(h)).slice(0, 8);
    for (const p of pairs) h.meander.store.remove("likepersons", p.link.meanderId);
    const contactsBefore = h.dataverse.store.list("contacts").length;
    const result = await h.service.runSync(L, { trigger: "timer" });
    expect(result.status).toBe("failed");
    expect(result.errors.map((e) => e.code)).toContain("MASS_DELETE_BLOCKED");
    expect(h.dataverse.store.list("contacts")).toHaveLength(contactsBefore);
    // Blocked again next time: the cursor did not move past the deletions.
    const again = await h.service.runSync(L, { trigger: "timer" });
    expect(again.errors.map((e) => e.code)).toContain("MASS_DELETE_BLOCKED");
  });
});
