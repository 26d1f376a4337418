/**
 * Echo suppression on the whole stack (shared/sync/echo.ts): a run reads its own writes back at
 * the versions those writes answered and leaves them alone, reading nothing more of them; a
 * person's edit made after the service's write and before the echo read gives the record a new
 * version, and the same run applies it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, SideRecord } from "../../shared/core/types.js";
import type { ChangePage, RecordSide } from "../../shared/ports.js";
import { LIKEPERSON_STATUS_CODES } from "../../sim/data/tables.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
let h: Harness;
/** The portal feed's pages and the portal records read by id, in the order the run met them. */
const portalPages: ChangePage[] = [];
const portalById: SideRecord[] = [];
/** The pair whose contact a person edited after the run wrote it, and the pair whose likeperson they edited. */
let editedContact: Link | undefined;
let editedLikeperson: Link | undefined;
let result: Awaited<ReturnType<Harness["service"]["runSync"]>>;

/** Records the portal side's reads without changing them. */
function watch(side: RecordSide): void {
  const readChanges = side.readChanges.bind(side);
  side.readChanges = (...args) =>
    (async function* () {
      for await (const page of readChanges(...args)) {
        portalPages.push(page);
        yield page;
      }
    })();
  const getByIds = side.getByIds.bind(side);
  side.getByIds = async (...args) => {
    const records = await getByIds(...args);
    portalById.push(...records);
    return records;
  };
}

const etag = (row: Record<string, unknown> | undefined) => `W/"${String(row?.versionnumber)}"`;

/** Right after the first unit's links are saved: a person edits one record the run just wrote on each side. */
async function editAfterWrite(point: string): Promise<void> {
  if (point !== "after-links" || editedContact) return;
  const links: Link[] = [];
  for await (const link of h.service.deps.state.listLinks(L)) links.push(link);
  // Records as the run left them: their versions are the ones the run's writes answered.
  const written = links.filter(
    (l) => l.portalVersion === etag(h.dataverse.store.get("contacts", l.portalId)) && l.meanderVersion === h.meander.store.get(L, l.meanderId)?.version,
  );
  expect(written.length).toBeGreaterThan(4);
  editedContact = written[0]!;
  h.dataverse.store.edit("contacts", editedContact.portalId, { address1_city: "Vardø" });
  editedLikeperson = written.find((l) => h.meander.store.get(L, l.meanderId)?.data.status === "active");
  expect(editedLikeperson).toBeDefined();
  h.meander.store.edit(L, editedLikeperson!.meanderId, { status: "paused" });
}

beforeAll(async () => {
  h = await startHarness({
    hlf: true,
    dataset: { seed: 31, people: 40, overlap: 0.8, conflictingShare: 0, formatNoiseShare: 0.2, ambiguousShare: 0, portalOnlyMembers: 20 },
    overrides: { pause: editAfterWrite },
  });
  watch(h.service.sides.portal);
  result = await h.service.runSync(L, { trigger: "timer" });
});
afterAll(async () => h?.close());

describe("a run reading its own writes back", () => {
  it("applies a person's edit made between the service's write and the echo read, in the same run", () => {
    expect(result.errors).toEqual([]);
    expect(result.status).toBe("succeeded");
    // The portal masters the address: the edited city reached Meander.
    const likeperson = h.meander.store.get(L, editedContact!.meanderId);
    expect((likeperson?.data.address as Record<string, unknown>).city).toBe("Vardø");
    // Meander masters the likeperson status: the edited status reached the portal.
    expect(h.dataverse.store.get("contacts", editedLikeperson!.portalId)?.hlf_likepersonstatus).toBe(LIKEPERSON_STATUS_CODES.paused);
  });

  it("leaves the other echoes out of the portal feed, unread by id", () => {
    // The second pass's feed: the run's own writes coming back, and the person's edit.
    const echoPass = portalPages.at(-1)!;
    expect(echoPass.leftOut ?? 0).toBeGreaterThan(4);
    expect(echoPass.records.map((r) => r.id)).toContain(editedContact!.portalId);
    // Each contact in scope was read with its personal data once, the edited one once more (it changed).
    const reads = new Map<string, number>();
    for (const page of portalPages) for (const r of page.records) if (r.data.firstname !== undefined) reads.set(r.id, (reads.get(r.id) ?? 0) + 1);
    for (const r of portalById) if (r.data.firstname !== undefined) reads.set(r.id, (reads.get(r.id) ?? 0) + 1);
    expect(reads.get(editedContact!.portalId)).toBe(2);
    const readTwice = [...reads].filter(([id, n]) => n > 1 && id !== editedContact!.portalId && id !== editedLikeperson!.portalId);
    expect(readTwice).toEqual([]);
  });

  it("leaves nothing behind: the next run writes nothing", async () => {
    h.dataverse.resetCounters();
    h.meander.resetCounters();
    const next = await h.service.runSync(L, { trigger: "timer" });
    expect(next.status).toBe("succeeded");
    expect(h.dataverse.counters().recordsWritten).toBe(0);
    expect(h.meander.counters().recordsWritten).toBe(0);
  });
});
