/**
 * Runs after the first, over in-memory ports: edits flow across, conflicts are resolved by
 * owner or parked and then resolved by a person, deletes follow the delete policy, the
 * mass-delete guard holds, dry runs write nothing.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Link } from "../../shared/core/types.js";
import { createSyncService } from "../../shared/sync/service.js";
import { seedDataset } from "../support/memory/dataset.js";
import { type MemoryEngine, memoryEngine } from "../support/memory/engine.js";

const L = "likepersons";
let e: MemoryEngine;
let pairs: Link[];
let next = 0;
/** A linked pair not used by an earlier test. */
const aPair = () => pairs[next++]!;

beforeAll(async () => {
  e = memoryEngine();
  seedDataset(e, { seed: 11, people: 60, overlap: 0.8, conflictingShare: 0, formatNoiseShare: 0.2, ambiguousShare: 0 });
  expect((await e.run()).status).toBe("succeeded");
  pairs = [];
  for await (const link of e.state.listLinks(L)) if (!link.parked?.length) pairs.push(link);
});

describe("edits after the first run", () => {
  it("flow across field by field, each to the other side", async () => {
    const a = aPair();
    const b = aPair();
    e.meander.edit("likepersons", a.meanderId, { address: { city: "Tromsø" }, status: "paused" });
    e.portal.edit("contacts", b.portalId, { mobilephone: "+47 912 34 567", firstname: "Åse" });
    const result = await e.run();
    expect(result.status).toBe("succeeded");
    expect(e.portal.get("contacts", a.portalId)?.data).toMatchObject({ address1_city: "Tromsø", hlf_likepersonstatus: 100000001 });
    expect(e.meander.get("likepersons", b.meanderId)?.data).toMatchObject({ firstName: "Åse", contact: { mobile: "+4791234567" } });
    expect(result.counts.portal.updated).toBe(1);
    expect(result.counts.meander.updated).toBe(1);
  });

  it("resolve a conflict by the field's owner and park a manual one until a person decides", async () => {
    const a = aPair();
    const service = createSyncService(e.deps);
    // city is the portal's; chapter is manual.
    e.meander.edit("likepersons", a.meanderId, { address: { city: "Alta" }, chapter: "HLF Alta" });
    e.portal.edit("contacts", a.portalId, { address1_city: "Narvik", hlf_localchapter: "HLF Narvik" });
    const result = await e.run();
    expect(result.conflicts).toMatchObject({ found: 1, autoResolved: 1 });
    expect(e.meander.get("likepersons", a.meanderId)?.data).toMatchObject({ address: { city: "Narvik" }, chapter: "HLF Alta" });
    expect(e.portal.get("contacts", a.portalId)?.data).toMatchObject({ address1_city: "Narvik", hlf_localchapter: "HLF Narvik" });

    const [conflict] = (await service.listConflicts(L, "open")).filter((c) => c.meanderId === a.meanderId);
    expect(conflict).toMatchObject({ kind: "fieldConflict", status: "open", fields: [{ field: "chapter", meander: "HLF Alta", portal: "HLF Narvik" }] });
    const again = await e.run();
    expect(again.conflicts.found).toBe(0);
    expect(again.conflicts.open).toBeGreaterThanOrEqual(1);

    await service.resolveConflict(L, conflict!.conflictId, { choice: "value", values: { chapter: "HLF Ofoten" }, resolvedBy: "admin" });
    const applied = await e.run(L, { trigger: "manual" });
    expect(applied.conflicts.resolved).toBe(1);
    expect(e.meander.get("likepersons", a.meanderId)?.data).toMatchObject({ chapter: "HLF Ofoten" });
    expect(e.portal.get("contacts", a.portalId)?.data).toMatchObject({ hlf_localchapter: "HLF Ofoten" });
    const stored = await e.state.getConflict(L, conflict!.conflictId);
    expect(stored).toMatchObject({ status: "resolved", resolution: { choice: "value", resolvedBy: "admin" } });
    expect(stored?.resolution?.appliedAt).toBeTruthy();
  });

  it("a dry run returns the plan and writes nothing", async () => {
    const a = aPair();
    e.meander.edit("likepersons", a.meanderId, { address: { postalCode: "9008" } });
    const written = e.meander.opsWritten + e.portal.opsWritten;
    const runsBefore = await e.runs.listRuns(L, 100);
    const dry = await e.run(L, { trigger: "manual", dryRun: true });
    expect(dry.plan?.updates).toContainEqual({ side: "portal", id: a.portalId, fields: ["address.postalCode"] });
    expect(e.meander.opsWritten + e.portal.opsWritten).toBe(written);
    expect(await e.runs.listRuns(L, 100)).toHaveLength(runsBefore.length);
    await e.run(L, { trigger: "manual" });
    expect(e.portal.get("contacts", a.portalId)?.data).toMatchObject({ address1_postalcode: "9008" });
  });
});

describe("deletes", () => {
  it("a Meander delete deletes the contact; a portal delete only unlinks", async () => {
    const a = aPair();
    const b = aPair();
    e.meander.remove("likepersons", a.meanderId);
    e.portal.remove("contacts", b.portalId);
    expect((await e.run()).status).toBe("succeeded");
    expect(e.portal.get("contacts", a.portalId)).toBeUndefined();
    expect(e.meander.get("likepersons", b.meanderId)).toBeDefined();
    const links = await e.state.getLinks(L, [
      { side: "meander", id: a.meanderId },
      { side: "meander", id: b.meanderId },
    ]);
    expect(links).toEqual([]);
  });

  it("a contact whose likeperson status is cleared is unlinked, never deleted", async () => {
    const a = aPair();
    e.portal.edit("contacts", a.portalId, { hlf_likepersonstatus: null });
    await e.run();
    expect(e.meander.get("likepersons", a.meanderId)).toBeDefined();
    expect(e.portal.get("contacts", a.portalId)).toBeDefined();
    expect(await e.state.getLinks(L, [{ side: "portal", id: a.portalId }])).toEqual([]);
  });

  it("the mass-delete guard stops a run that would delete too much, and deletes nothing", async () => {
    for (let i = 0; i < 8; i++) e.meander.remove("likepersons", aPair().meanderId);
    const contactsBefore = e.portal.list("contacts").length;
    const result = await e.run();
    expect(result.status).toBe("failed");
    expect(result.errors.map((x) => x.code)).toContain("MASS_DELETE_BLOCKED");
    expect(e.portal.list("contacts")).toHaveLength(contactsBefore);
    // Blocked again next time: the cursor did not move past the deletions.
    const again = await e.run();
    expect(again.errors.map((x) => x.code)).toContain("MASS_DELETE_BLOCKED");
  });
});
