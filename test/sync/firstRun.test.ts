import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPath } from "../../shared/core/paths.js";
import { type Harness, linkedPairs, startHarness } from "./harness.js";

const normalizeEmail = (v: unknown) => (typeof v === "string" ? v.trim().toLowerCase() : v);

describe("a first run on generated data with overlaps", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      dataset: { seed: 7, people: 80, overlap: 0.6, conflictingShare: 0.2, formatNoiseShare: 0.3, ambiguousShare: 0.05, portalOnlyMembers: 40 },
    });
  });
  afterAll(async () => h?.close());

  it("couples or creates every person once on each side and parks ambiguous matches", async () => {
    const result = await h.service.runSync("likepersons", { trigger: "manual" });
    expect(result.errors).toEqual([]);
    expect(["succeeded"]).toContain(result.status);

    const truth = h.dataset!.truth;
    const pairs = await linkedPairs(h);
    const byMeander = new Map(pairs.map((p) => [p.link.meanderId, p]));
    // Every true pair is coupled to its true partner.
    for (const pair of truth.pairs) expect(byMeander.get(pair.meanderId)?.link.portalId).toBe(pair.portalId);
    // Nobody has two partners.
    expect(new Set(pairs.map((p) => p.link.portalId)).size).toBe(pairs.length);
    // Both records of every pair name each other, created pairs included (the link-back write).
    expect(pairs.length).toBeGreaterThan(truth.pairs.length);
    for (const { link, meanderData } of pairs) {
      const contact = h.dataverse.store.get("contacts", link.portalId);
      expect({ link, portalContactId: meanderData?.portalContactId, hlf_meanderid: contact?.hlf_meanderid }).toEqual({
        link,
        portalContactId: link.portalId,
        hlf_meanderid: link.meanderId,
      });
    }
    // Ambiguous people: parked, nothing created for them.
    const conflicts = await h.service.listConflicts("likepersons", "open");
    for (const amb of truth.ambiguous) {
      expect(byMeander.has(amb.meanderId)).toBe(false);
      expect(conflicts.some((c) => c.kind === "ambiguous" && c.meanderId === amb.meanderId)).toBe(true);
    }
    // One-sided people now exist on both sides, once.
    const contacts = h.dataverse.store.list("contacts");
    for (const id of truth.meanderOnly) {
      const created = contacts.filter((c) => c.hlf_meanderid === id);
      expect(created).toHaveLength(1);
    }
    const likepersons = h.meander.store.list("likepersons");
    for (const id of truth.portalOnly) {
      expect(likepersons.filter((r) => r.data.portalContactId === id)).toHaveLength(1);
    }
    // Ordinary members never flow to Meander.
    const members = contacts.filter((c) => c.hlf_likepersonstatus == null).map((c) => c.contactid);
    expect(members.length).toBeGreaterThan(0);
    for (const id of members) expect(likepersons.some((r) => r.data.portalContactId === id)).toBe(false);
    // Every mapped field equal after mapping, except fields parked as conflicts.
    const parked = new Map(conflicts.filter((c) => c.kind === "fieldConflict").map((c) => [c.meanderId, new Set(c.fields.map((f) => f.field))]));
    for (const pair of pairs) {
      expect(pair.meander && pair.portal).toBeTruthy();
      for (const [field, value] of Object.entries(pair.portal!)) {
        if (parked.get(pair.link.meanderId)?.has(field)) continue;
        if (field in pair.meander!) {
          expect([field, normalizeEmail(pair.meander![field])]).toEqual([field, normalizeEmail(value)]);
        } else if (value !== null) {
          // A portal-owned one-way field (member number) arrives in Meander as the portal holds it.
          expect([field, getPath(pair.meanderData!, field)]).toEqual([field, value]);
        }
      }
    }
  });

  it("a second run with no changes writes nothing and adds one succeeded run", async () => {
    h.dataverse.resetCounters();
    h.meander.resetCounters();
    const result = await h.service.runSync("likepersons", { trigger: "timer" });
    expect(result.status).toBe("succeeded");
    const dv = h.dataverse.counters();
    const ms = h.meander.counters();
    expect(dv.recordsWritten).toBe(0);
    expect(dv.byKind.batch ?? 0).toBe(0);
    expect(ms.recordsWritten).toBe(0);
    expect(ms.byKind.batch ?? 0).toBe(0);
    const history = await h.service.getSyncHistory("likepersons", 10);
    expect(history.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    expect(history[0]?.runId).toBe(result.runId);
  });

  it("an ambiguous match resolved by a person couples the chosen candidate on the next run", async () => {
    const [open] = (await h.service.listConflicts("likepersons", "open")).filter((c) => c.kind === "ambiguous");
    expect(open?.candidates?.length).toBeGreaterThanOrEqual(2);
    const chosen = open!.candidates![1]!;
    await h.service.resolveConflict("likepersons", open!.conflictId, { choice: "value", values: { partner: chosen } });
    const result = await h.service.runSync("likepersons", { trigger: "manual" });
    expect(result.conflicts.resolved).toBe(1);
    const [link] = await h.service.deps.state.getLinks("likepersons", [{ side: "meander", id: open!.meanderId! }]);
    expect(link?.portalId).toBe(chosen);
    const stored = await h.service.deps.state.getConflict("likepersons", open!.conflictId);
    expect(stored?.resolution?.appliedAt).toBeTruthy();
    // Applied once: the next run has nothing left of it.
    const next = await h.service.runSync("likepersons", { trigger: "timer" });
    expect(next.conflicts.resolved).toBe(0);
  });

  it("runs configs in lookup order: likepersons before the activities that point at them", () => {
    expect(h.service.enabledConfigIds()).toEqual(["likepersons", "activities"]);
  });
});
