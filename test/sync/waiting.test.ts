/**
 * Activity reports waiting for their likeperson (HLF's configs, real Azurite and both
 * simulators): a report whose likeperson no one has coupled yet waits in the retry ledger
 * without being re-read or rewritten by the runs in between, however many; it reaches the
 * portal in the first activities run after a person links the likeperson; the attempt budget
 * still gives up on reports that fail for other reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncResult } from "../../shared/core/types.js";
import type { LedgerEntry } from "../../shared/ports.js";
import { type Harness, shiftableClock, startHarness } from "./harness.js";

const A = "activities";
const L = "likepersons";
const MAX_ATTEMPTS = 2;
let h: Harness;
let first: SyncResult;

const ledger = async () => new Map((await h.service.deps.state.listLedger(A)).map((e) => [`${e.side}:${e.recordId}`, e]));
const waiting = (entries: Map<string, LedgerEntry>) => [...entries.values()].filter((e) => e.waitingFor?.length);
const reportsOf = (likepersonId: string) => h.meander.store.list("activities").filter((a) => a.data.likepersonId === likepersonId);
const inPortal = (reportId: string) => h.dataverse.store.list("hlf_likepersonactivities").some((r) => r.hlf_meanderid === reportId);

/** One run with the requests it made to each side and the Table operations it cost (the service's own counters, as bench/ counts them). */
async function measured(configId: string) {
  const t0 = { ...h.service.tables.counters };
  const m0 = h.meander.counters();
  const d0 = h.dataverse.counters().requests;
  const result = await h.service.runSync(configId, { trigger: "timer" });
  const t1 = h.service.tables.counters;
  const m1 = h.meander.counters();
  const tableOps = t1.reads - t0.reads + (t1.writes - t0.writes) + (t1.queries - t0.queries) + (t1.transactions - t0.transactions);
  return {
    result,
    meander: m1.requests - m0.requests,
    meanderByKind: Object.fromEntries(Object.entries(m1.byKind).map(([k, v]) => [k, v - (m0.byKind as Record<string, number>)[k]!])),
    dataverse: h.dataverse.counters().requests - d0,
    tableOps,
  };
}

beforeAll(async () => {
  h = await startHarness({
    hlf: true,
    settings: { SYNC_LEDGER_MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
    dataset: { seed: 31, people: 24, overlap: 0.6, conflictingShare: 0, ambiguousShare: 0, portalOnlyMembers: 5, activitiesPerPerson: 2 },
  });
  await h.service.runSync(L, { trigger: "timer" });
  first = await h.service.runSync(A, { trigger: "timer" });
});
afterAll(async () => h?.close());

describe("a report whose likeperson is not coupled yet", () => {
  it("waits in the ledger as LOOKUP_UNRESOLVED, naming the likeperson, without spending attempts; the run record counts it", async () => {
    const entries = waiting(await ledger());
    const coupled = new Set<string>();
    for await (const link of h.service.deps.state.listLinks(L)) coupled.add(link.meanderId);
    const expected = h.meander.store
      .list("activities")
      .filter((a) => !coupled.has(String(a.data.likepersonId)))
      .map((a) => a.id);
    // Meander-only likepersons among them: they wait as `unmatched` review items for a person.
    expect(h.dataset!.truth.meanderOnly.some((id) => reportsOf(id).length > 0 && !coupled.has(id))).toBe(true);
    expect(entries.map((e) => e.recordId).sort()).toEqual([...expected].sort());
    for (const entry of entries) {
      expect(entry).toMatchObject({ side: "meander", attempts: 0, lastError: { code: "LOOKUP_UNRESOLVED" } });
      const report = h.meander.store.get("activities", entry.recordId)!;
      expect(entry.waitingFor).toEqual([{ config: L, id: report.data.likepersonId }]);
    }
    expect(first.status).toBe("partial");
    expect(first.ledger.waiting).toBe(expected.length);
    expect(first.errors.every((e) => e.code === "LOOKUP_UNRESOLVED")).toBe(true);
  });

  it("is neither re-read nor rewritten by idle runs, more of them than the attempt budget: 1 Meander request, no Dataverse request, at most 5 Table operations", async () => {
    const before = await ledger();
    for (let run = 0; run < MAX_ATTEMPTS + 2; run++) {
      // The timer's order: likepersons (idle: it couples no one), then activities.
      await h.service.runSync(L, { trigger: "timer" });
      const idle = await measured(A);
      expect(idle.meander).toBe(1);
      expect(idle.meanderByKind).toMatchObject({ changes: 1, records: 0 });
      expect(idle.dataverse).toBeLessThanOrEqual(1);
      expect(idle.tableOps).toBeLessThanOrEqual(5);
      expect(idle.result.status).toBe("succeeded");
      expect(idle.result.ledger).toMatchObject({ size: before.size, retried: 0, waiting: waiting(before).length });
      expect(idle.result.notes.join("\n")).toContain(
        `${waiting(before).length} records wait in the retry ledger for a record likepersons has not coupled yet (LOOKUP_UNRESOLVED)`,
      );
    }
    expect(await ledger()).toEqual(before);
  });

  it("reaches the portal in the first activities run after a person links its likeperson; the others wait on, untouched", async () => {
    const before = await ledger();
    const waitedFor = new Set(waiting(before).map((e) => e.waitingFor![0]!.id));
    const item = (await h.service.listConflicts(L, "open")).find((c) => c.kind === "unmatched" && waitedFor.has(c.meanderId ?? ""))!;
    const meanderId = item.meanderId!;
    const reports = reportsOf(meanderId).map((r) => r.id);
    const contact = h.dataverse.store.list("contacts").find((c) => c.hlf_likepersonstatus == null && c.statecode === 0 && !c.hlf_meanderid)!;
    await h.service.resolveConflict(L, item.conflictId, { choice: "value", values: { partner: contact.contactid as string } });
    const coupled = await h.service.runSync(L, { trigger: "timer" });
    expect(coupled.conflicts.resolved).toBe(1);

    const run = await measured(A);
    expect(run.result.ledger.recovered).toBe(reports.length);
    expect(run.result.counts.portal.created).toBe(reports.length);
    for (const id of reports) expect(inPortal(id), id).toBe(true);
    const rows = h.dataverse.store.list("hlf_likepersonactivities").filter((r) => reports.includes(String(r.hlf_meanderid)));
    for (const row of rows) expect(row._hlf_contactid_value).toBe(contact.contactid);
    // Only the reports that can go now were read by id: one request for all of them.
    expect(run.meanderByKind).toMatchObject({ records: 1 });

    const after = await ledger();
    for (const id of reports) expect(after.has(`meander:${id}`)).toBe(false);
    expect(after.size).toBe(before.size - reports.length);
    for (const [key, entry] of after) expect(entry, key).toEqual(before.get(key));
    expect(run.result.ledger.waiting).toBe(after.size);

    // And the next run is idle again.
    const idle = await measured(A);
    expect([idle.meander, idle.result.ledger.retried]).toEqual([1, 0]);
    expect(idle.tableOps).toBeLessThanOrEqual(5);
  });

  it("a waiting report edited in Meander is tried again with the edit and, still waiting, its entry is not rewritten", async () => {
    const before = await ledger();
    const entry = waiting(before)[0]!;
    h.meander.store.edit("activities", entry.recordId, { hours: 7 });
    const run = await h.service.runSync(A, { trigger: "timer" });
    expect(run.errors.map((e) => [e.recordId, e.code])).toEqual([[entry.recordId, "LOOKUP_UNRESOLVED"]]);
    expect(await ledger()).toEqual(before);
  });
});

describe("a report failing for another reason", () => {
  it("still spends its attempts and is given up on after SYNC_LEDGER_MAX_ATTEMPTS runs, then no longer read", async () => {
    const report = h.meander.store.list("activities").find((a) => inPortal(a.id))!;
    h.meander.store.edit("activities", report.id, { kind: "workshop" });
    const failed = await h.service.runSync(A, { trigger: "timer" });
    expect(failed.errors.map((e) => e.recordId)).toEqual([report.id]);
    expect((await ledger()).get(`meander:${report.id}`)).toMatchObject({ attempts: 1 });
    expect((await ledger()).get(`meander:${report.id}`)?.waitingFor).toBeUndefined();

    const retried = await measured(A);
    expect(retried.result.ledger.retried).toBe(1);
    expect(retried.meanderByKind).toMatchObject({ records: 1 });
    expect((await ledger()).get(`meander:${report.id}`)).toMatchObject({ attempts: MAX_ATTEMPTS });

    const givenUp = await measured(A);
    expect(givenUp.result.ledger.retried).toBe(0);
    expect(givenUp.meanderByKind).toMatchObject({ records: 0 });
    expect(givenUp.tableOps).toBeLessThanOrEqual(5);
    expect((await ledger()).get(`meander:${report.id}`)).toMatchObject({ attempts: MAX_ATTEMPTS });
  });
});

describe("a likeperson coupled without its run announcing it (a run that died after writing its links)", () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const clock = shiftableClock();
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({
      hlf: true,
      overrides: { clock },
      dataset: { seed: 32, people: 16, overlap: 0.5, conflictingShare: 0, ambiguousShare: 0, portalOnlyMembers: 3, activitiesPerPerson: 2 },
    });
    await g.service.runSync(L, { trigger: "timer" });
    await g.service.runSync(A, { trigger: "timer" });
  });
  afterAll(async () => g?.close());

  it("is found within a day; an entry from before waiting was recorded, given up on, is re-read then too", async () => {
    const state = g.service.deps.state;
    const entries = (await state.listLedger(A)).filter((e) => e.waitingFor?.length);
    const [silent, legacy] = [entries[0]!, entries.find((e) => e.waitingFor![0]!.id !== entries[0]!.waitingFor![0]!.id)!];
    const contacts = g.dataverse.store.list("contacts").filter((c) => c.hlf_likepersonstatus == null && c.statecode === 0 && !c.hlf_meanderid);
    const linked = [silent, legacy].map((e, i) => ({ meanderId: e.waitingFor![0]!.id, portalId: contacts[i]!.contactid as string, baseline: {} }));
    await state.putLinks(L, linked);
    // Written by an earlier version: no target named, and its attempts spent.
    const { waitingFor: _, ...old } = legacy;
    await state.putLedger(A, [{ ...old, attempts: 10 }]);

    const sameDay = await g.service.runSync(A, { trigger: "timer" });
    expect(sameDay.ledger.retried).toBe(0);

    clock.shift(DAY_MS);
    const nextDay = await g.service.runSync(A, { trigger: "timer" });
    const goneFor = (meanderId: string) => g.meander.store.list("activities").filter((a) => a.data.likepersonId === meanderId);
    const written = [...goneFor(linked[0]!.meanderId), ...goneFor(linked[1]!.meanderId)].map((a) => a.id);
    expect(nextDay.counts.portal.created).toBe(written.length);
    const left = new Set((await state.listLedger(A)).map((e) => e.recordId));
    for (const id of written) expect(left.has(id), id).toBe(false);
    const rows = g.dataverse.store.list("hlf_likepersonactivities");
    for (const id of written) expect(rows.some((r) => r.hlf_meanderid === id)).toBe(true);
  });
});
