/**
 * Lookup fields resolve through another config's links (shared/sync/apply.ts): an activities run
 * asks the likepersons links for each likeperson once, however many units name it, and every
 * report of a coupled likeperson reaches the portal pointing at that likeperson's contact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, Side } from "../../shared/core/types.js";
import { type Harness, startHarness } from "./harness.js";

describe("an activities run over many small units", () => {
  let h: Harness;
  const asked: string[] = [];
  const coupled = new Map<string, string>();

  beforeAll(async () => {
    h = await startHarness({
      hlf: true,
      dataset: { seed: 12, people: 12, overlap: 1, conflictingShare: 0, ambiguousShare: 0, activitiesPerPerson: 6 },
      meander: { maxPageSize: 5 },
      settings: { SYNC_PAGE_SIZE: "10" },
    });
    await h.service.runSync("likepersons", { trigger: "timer" });
    for await (const link of h.service.deps.state.listLinks("likepersons")) coupled.set(link.meanderId, link.portalId);
    const state = h.service.deps.state;
    const getLinks = state.getLinks.bind(state);
    state.getLinks = (configId: string, refs: readonly { side: Side; id: string }[]): Promise<Link[]> => {
      if (configId === "likepersons") asked.push(...refs.map((r) => r.id));
      return getLinks(configId, refs);
    };
    const result = await h.service.runSync("activities", { trigger: "timer" });
    expect(result.errors.filter((e) => e.code !== "LOOKUP_UNRESOLVED")).toEqual([]);
  }, 60_000);

  afterAll(async () => h?.close());

  it("asks for each likeperson's link once", () => {
    const reports = h.meander.store.list("activities");
    const named = new Set(reports.map((a) => String(a.data.likepersonId)));
    expect(reports.length).toBeGreaterThan(20);
    expect(named.size).toBeLessThan(reports.length);
    expect(asked.length).toBe(new Set(asked).size);
    expect(new Set(asked)).toEqual(named);
  });

  it("writes each report of a coupled likeperson with that likeperson's contact", () => {
    const rows = h.dataverse.store.list("hlf_likepersonactivities");
    const reports = h.meander.store.list("activities").filter((a) => coupled.has(String(a.data.likepersonId)));
    expect(reports.length).toBeGreaterThan(10);
    for (const report of reports) {
      const row = rows.find((r) => r.hlf_meanderid === report.id);
      expect(row?._hlf_contactid_value ?? row?.hlf_contactid).toBe(coupled.get(String(report.data.likepersonId)));
    }
  });
});
