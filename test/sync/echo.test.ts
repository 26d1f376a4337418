/**
 * Echo suppression on the whole stack (shared/sync/echo.ts). A run's own writes come back
 * through the feeds and are left alone, nothing more read of them. A run that wrote a few
 * records, each write answered with its version, reads each feed once and leaves those versions
 * in the control row: the next run recognises them in its feeds without reading a link, and
 * writes nothing. A person's edit after the service's write gives the record a new version, and
 * the next run applies it. A write a plug-in rewrote, or more writes than the row keeps: the run
 * reads its feeds a second time, as before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, Side, SideRecord } from "../../shared/core/types.js";
import type { ChangePage, RecordSide } from "../../shared/ports.js";
import { LIKEPERSON_STATUS_CODES } from "../../sim/data/tables.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 31, people: 40, overlap: 0.8, conflictingShare: 0, formatNoiseShare: 0.2, ambiguousShare: 0, portalOnlyMembers: 20 };
type Service = Harness["service"];

/** What one run did, as the simulators, the sides and the service's Table counters saw it. */
interface Measured {
  readonly result: Awaited<ReturnType<Service["runSync"]>>;
  /** Change feeds read (calls of readChanges), per side. */
  readonly feedReads: Record<Side, number>;
  readonly portalPages: ChangePage[];
  /** Portal records read by id. */
  readonly portalById: SideRecord[];
  readonly dataverse: ReturnType<Harness["dataverse"]["counters"]>;
  readonly meander: ReturnType<Harness["meander"]["counters"]>;
  /** Table Storage operations (reads, writes, query pages, transactions), and point reads among them. */
  readonly tableOps: number;
  readonly tableReads: number;
}

/** Watches a service's two sides without changing what they answer; `run` measures one timer run. */
function watched(h: Harness, service: Service): { run: () => Promise<Measured> } {
  let feedReads: Record<Side, number> = { meander: 0, portal: 0 };
  let portalPages: ChangePage[] = [];
  let portalById: SideRecord[] = [];
  for (const side of ["meander", "portal"] as const) {
    const port: RecordSide = service.sides[side];
    const readChanges = port.readChanges.bind(port);
    port.readChanges = (...args) =>
      (async function* () {
        feedReads[side] += 1;
        for await (const page of readChanges(...args)) {
          if (side === "portal") portalPages.push(page);
          yield page;
        }
      })();
    if (side === "portal") {
      const getByIds = port.getByIds.bind(port);
      port.getByIds = async (...args) => {
        const records = await getByIds(...args);
        portalById.push(...records);
        return records;
      };
    }
  }
  const tableCount = () => {
    const c = service.tables.counters;
    return { ops: c.reads + c.writes + c.queries + c.transactions, reads: c.reads };
  };
  return {
    run: async () => {
      feedReads = { meander: 0, portal: 0 };
      portalPages = [];
      portalById = [];
      h.dataverse.resetCounters();
      h.meander.resetCounters();
      const before = tableCount();
      const result = await service.runSync(L, { trigger: "timer" });
      const after = tableCount();
      return {
        result,
        feedReads,
        portalPages,
        portalById,
        dataverse: h.dataverse.counters(),
        meander: h.meander.counters(),
        tableOps: after.ops - before.ops,
        tableReads: after.reads - before.reads,
      };
    },
  };
}

const etag = (row: Record<string, unknown> | undefined) => `W/"${String(row?.versionnumber)}"`;
const leftOut = (pages: readonly ChangePage[]) => pages.reduce((n, p) => n + (p.leftOut ?? 0), 0);
const portalRecords = (pages: readonly ChangePage[]) => pages.flatMap((p) => p.records.map((r) => r.id));

async function links(h: Harness): Promise<Link[]> {
  const all: Link[] = [];
  for await (const link of h.service.deps.state.listLinks(L)) all.push(link);
  return all;
}

const status = (h: Harness, link: Link) => (h.meander.store.get(L, link.meanderId)?.data as Record<string, unknown>).status;
const city = (h: Harness, link: Link) => ((h.meander.store.get(L, link.meanderId)?.data.address ?? {}) as Record<string, unknown>).city;
const expectSucceeded = (m: Measured) => expect([m.result.status, m.result.errors]).toEqual(["succeeded", []]);

describe("a run that wrote a few records, each answered with its version", () => {
  let h: Harness;
  let run: () => Promise<Measured>;
  let first: Measured;
  let active: Link[];

  beforeAll(async () => {
    h = await startHarness({ hlf: true, dataset: DATASET });
    ({ run } = watched(h, h.service));
    first = await run();
    active = (await links(h)).filter((l) => status(h, l) === "active");
  });
  afterAll(async () => h?.close());

  it("reads each feed once and leaves the versions its writes answered in the control row", async () => {
    expectSucceeded(first);
    expect(first.dataverse.recordsWritten).toBeGreaterThan(4);
    expect(first.meander.recordsWritten).toBeGreaterThan(4);
    expect(first.feedReads).toEqual({ meander: 1, portal: 1 });
    const echoes = (await h.service.deps.locks.readControl?.(L))?.echoes;
    const portal = Object.entries(echoes?.portal?.versions ?? {});
    const meander = Object.entries(echoes?.meander?.versions ?? {});
    expect(portal).toHaveLength(first.dataverse.recordsWritten);
    expect(meander).toHaveLength(first.meander.recordsWritten);
    for (const [id, version] of portal) expect(version).toBe(etag(h.dataverse.store.get("contacts", id)));
    for (const [id, version] of meander) expect(version).toBe(h.meander.store.get(L, id)?.version);
  });

  it("the next run finds them in its feeds and leaves them out: no link read, no read by id, nothing written", async () => {
    const remembered = (await h.service.deps.locks.readControl?.(L))?.echoes;
    const next = await run();
    expectSucceeded(next);
    expect(next.dataverse.recordsWritten + next.meander.recordsWritten).toBe(0);
    // One page per side, as an idle run: the delta page, no read by id of the narrowed feed's records.
    expect(next.feedReads).toEqual({ meander: 1, portal: 1 });
    expect(next.dataverse.requests).toBe(1);
    expect(next.dataverse.byKind.get).toBe(0);
    expect(next.meander.requests).toBe(1);
    expect(leftOut(next.portalPages)).toBe(Object.keys(remembered?.portal?.versions ?? {}).length);
    expect(portalRecords(next.portalPages)).toEqual([]);
    expect(next.result.counts.portal.unchanged).toBe(first.dataverse.recordsWritten);
    expect(next.result.counts.meander.unchanged).toBe(first.meander.recordsWritten);
    // The lock row is the only point read: no link of an echo was read. An idle run's Table work.
    expect(next.tableReads).toBe(1);
    expect(next.tableOps).toBeLessThanOrEqual(5);
    // It wrote nothing, so it leaves nothing to remember.
    expect((await h.service.deps.locks.readControl?.(L))?.echoes).toBeUndefined();
  });

  it("a person's edit made after the run's write is applied by the next run; the other echo is left out", async () => {
    const [a, b] = active;
    h.meander.store.edit(L, a!.meanderId, { status: "paused" });
    h.meander.store.edit(L, b!.meanderId, { status: "paused" });
    const writing = await run();
    expectSucceeded(writing);
    expect(writing.dataverse.recordsWritten).toBe(2);
    expect(writing.feedReads).toEqual({ meander: 1, portal: 1 });
    expect(h.dataverse.store.get("contacts", a!.portalId)?.hlf_likepersonstatus).toBe(LIKEPERSON_STATUS_CODES.paused);

    // After the service's write, before the next run: a person changes the city of one of the two contacts.
    h.dataverse.store.edit("contacts", a!.portalId, { address1_city: "Vardø" });
    const next = await run();
    expectSucceeded(next);
    expect(city(h, a!)).toBe("Vardø");
    expect(next.meander.recordsWritten).toBe(1);
    expect(next.dataverse.recordsWritten).toBe(0);
    // The edited contact was read (its new version is no echo); the other one, still as written, was not.
    expect(portalRecords(next.portalPages)).toEqual([a!.portalId]);
    expect(leftOut(next.portalPages)).toBe(1);
    expect(next.portalById.map((r) => r.id)).not.toContain(b!.portalId);

    // And that run's own write to Meander comes back to the one after it, left out in turn.
    const after = await run();
    expectSucceeded(after);
    expect(after.dataverse.recordsWritten + after.meander.recordsWritten).toBe(0);
    expect(after.result.counts.meander.unchanged).toBe(1);
    expect(after.tableReads).toBe(1);
  });

  it("a full read ignores the memory: the run's writes are read and planned like every record", async () => {
    const c = active[2]!;
    h.meander.store.edit(L, c.meanderId, { status: "paused" });
    const writing = await run();
    expect(writing.dataverse.recordsWritten).toBe(1);
    expect(Object.keys((await h.service.deps.locks.readControl?.(L))?.echoes?.portal?.versions ?? {})).toEqual([c.portalId]);
    h.dataverse.store.expireDeltaTokens();
    const full = await run();
    expectSucceeded(full);
    expect(full.portalPages.every((p) => p.fullResync === true)).toBe(true);
    expect(leftOut(full.portalPages)).toBe(0);
    expect(portalRecords(full.portalPages)).toContain(c.portalId);
    expect(full.dataverse.recordsWritten + full.meander.recordsWritten).toBe(0);
  });
});

describe("a person's edit made right after the service's write, in the same run", () => {
  let h: Harness;
  let run: () => Promise<Measured>;
  let editedContact: Link | undefined;
  let editedLikeperson: Link | undefined;
  let first: Measured;
  let second: Measured;

  /** Right after the first unit's links are saved: a person edits one record the run just wrote on each side. */
  async function editAfterWrite(point: string): Promise<void> {
    if (point !== "after-links" || editedContact) return;
    // Records as the run left them: their versions are the ones the run's writes answered.
    const written = (await links(h)).filter(
      (l) => l.portalVersion === etag(h.dataverse.store.get("contacts", l.portalId)) && l.meanderVersion === h.meander.store.get(L, l.meanderId)?.version,
    );
    expect(written.length).toBeGreaterThan(4);
    editedContact = written[0]!;
    h.dataverse.store.edit("contacts", editedContact.portalId, { address1_city: "Vardø" });
    editedLikeperson = written.find((l) => status(h, l) === "active");
    expect(editedLikeperson).toBeDefined();
    h.meander.store.edit(L, editedLikeperson!.meanderId, { status: "paused" });
  }

  beforeAll(async () => {
    h = await startHarness({ hlf: true, dataset: DATASET, overrides: { pause: editAfterWrite } });
    ({ run } = watched(h, h.service));
    first = await run();
    second = await run();
  });
  afterAll(async () => h?.close());

  it("is applied by the next run (the run that wrote reads each feed once and does not see it)", () => {
    expectSucceeded(first);
    expect(first.feedReads).toEqual({ meander: 1, portal: 1 });
    expectSucceeded(second);
    // The portal masters the address: the edited city reached Meander.
    expect(city(h, editedContact!)).toBe("Vardø");
    // Meander masters the likeperson status: the edited status reached the portal.
    expect(h.dataverse.store.get("contacts", editedLikeperson!.portalId)?.hlf_likepersonstatus).toBe(LIKEPERSON_STATUS_CODES.paused);
  });

  it("the next run leaves the other echoes out of the portal feed, unread by id", () => {
    expect(leftOut(second.portalPages)).toBeGreaterThan(4);
    expect(portalRecords(second.portalPages)).toContain(editedContact!.portalId);
    // Each contact in scope was read with its personal data once, the edited one once more (it changed).
    const reads = new Map<string, number>();
    for (const m of [first, second]) {
      for (const page of m.portalPages) for (const r of page.records) if (r.data.firstname !== undefined) reads.set(r.id, (reads.get(r.id) ?? 0) + 1);
      for (const r of m.portalById) if (r.data.firstname !== undefined) reads.set(r.id, (reads.get(r.id) ?? 0) + 1);
    }
    expect(reads.get(editedContact!.portalId)).toBe(2);
    const readTwice = [...reads].filter(([id, n]) => n > 1 && id !== editedContact!.portalId && id !== editedLikeperson!.portalId);
    expect(readTwice).toEqual([]);
  });

  it("leaves nothing behind: the run after writes nothing", async () => {
    const next = await run();
    expectSucceeded(next);
    expect(next.dataverse.recordsWritten).toBe(0);
    expect(next.meander.recordsWritten).toBe(0);
  });
});

describe("a run whose echoes must be read back in the same run", () => {
  let h: Harness;
  let active: Link[];

  beforeAll(async () => {
    h = await startHarness({ hlf: true, dataset: { ...DATASET, people: 12, overlap: 1, formatNoiseShare: 0, portalOnlyMembers: 0 } });
    await h.service.runSync(L, { trigger: "timer" });
    active = (await links(h)).filter((l) => status(h, l) === "active");
    expect(active.length).toBeGreaterThan(3);
  });
  afterAll(async () => h?.close());

  it("more writes than the control row keeps: the run reads its feeds again, and the next run finds nothing of its own", async () => {
    const service = await h.another({ echoMemoryLimit: 2 });
    const { run } = watched(h, service);
    for (const link of active.slice(0, 3)) h.meander.store.edit(L, link.meanderId, { status: "paused" });
    const over = await run();
    expectSucceeded(over);
    expect(over.dataverse.recordsWritten).toBe(3);
    expect(over.feedReads).toEqual({ meander: 2, portal: 2 });
    // The second portal page: the three writes coming back, left out.
    expect(over.portalPages.at(-1)?.leftOut).toBe(3);
    expect((await service.deps.locks.readControl?.(L))?.echoes).toBeUndefined();
    const next = await run();
    expectSucceeded(next);
    expect(leftOut(next.portalPages) + portalRecords(next.portalPages).length).toBe(0);
    expect(next.result.counts.meander.read + next.result.counts.portal.read).toBe(0);
    expect(next.dataverse.recordsWritten + next.meander.recordsWritten).toBe(0);
  });

  it("a write a plug-in rewrote gives no version: the run reads it back and plans it in the same run", async () => {
    const link = active[3]!;
    let rewrites = 0;
    // A synchronous plug-in: this member stays an active likeperson whatever is written.
    h.dataverse.plugins.add({
      entitySet: "contacts",
      column: "hlf_likepersonstatus",
      rewrite: (value, row) => {
        if (row.contactid !== link.portalId) return value;
        rewrites += 1;
        return LIKEPERSON_STATUS_CODES.active;
      },
    });
    const service = await h.another();
    const { run } = watched(h, service);
    h.meander.store.edit(L, link.meanderId, { status: "paused" });
    const rewritten = await run();
    expectSucceeded(rewritten);
    expect(rewritten.feedReads).toEqual({ meander: 2, portal: 2 });
    // The rewrite came back in the second pass and was planned there: Meander's status written again.
    expect(rewrites).toBe(2);
    expect(rewritten.portalPages.at(-1)?.records.map((r) => r.id)).toEqual([link.portalId]);
    expect((await service.deps.locks.readControl?.(L))?.echoes).toBeUndefined();
    h.dataverse.plugins.clear();
  });
});

describe("a run that deleted a record (the generic two-way mapping: a likeperson deleted in Meander deletes its contact)", () => {
  let h: Harness;
  let run: () => Promise<Measured>;

  beforeAll(async () => {
    h = await startHarness({ dataset: { ...DATASET, portalOnlyMembers: 0 } });
    ({ run } = watched(h, h.service));
    await run();
    await run();
  });
  afterAll(async () => h?.close());

  it("remembers the deletion, and the next run leaves its tombstone out without reading a link", async () => {
    const [link] = await links(h);
    h.meander.store.remove(L, link!.meanderId);
    const deleting = await run();
    expectSucceeded(deleting);
    expect(deleting.result.counts.portal.deleted).toBe(1);
    expect(h.dataverse.store.get("contacts", link!.portalId)).toBeUndefined();
    expect(deleting.feedReads).toEqual({ meander: 1, portal: 1 });
    expect((await h.service.deps.locks.readControl?.(L))?.echoes?.portal?.deleted).toEqual([link!.portalId]);

    const next = await run();
    expectSucceeded(next);
    expect(next.portalPages.flatMap((p) => p.deletedIds)).toEqual([link!.portalId]);
    expect(next.result.counts.portal.unchanged).toBe(1);
    expect(next.tableReads).toBe(1);
    expect(next.dataverse.recordsWritten + next.meander.recordsWritten).toBe(0);
  });
});
