/**
 * What the engine relies on from a RecordSide, as one suite run against the in-memory side
 * and against the real adapters over the simulators (sides.test.ts): the in-memory ports are
 * only as good as this suite says they are.
 */
import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { getPath } from "../../shared/core/paths.js";
import type { SideRecord } from "../../shared/core/types.js";
import type { ChangePage, RecordSide, WriteOp, WriteOutcome } from "../../shared/ports.js";

export interface SideFixture {
  readonly side: RecordSide;
  readonly entity: string;
  /** A new person's data in the side's shape; `n` makes the e-mail unique. */
  data(n: number): Record<string, unknown>;
  /** The e-mail field (a match key) and the link field (the upsert key). */
  readonly emailField: string;
  readonly linkField: string;
  /** A person's edit of `id`, outside the sync (a new version and a feed entry). */
  editByPerson(id: string): void;
  deleteByPerson(id: string): void;
}

const created = (outcome: WriteOutcome | undefined): { id: string; version?: string } => {
  if (!outcome?.ok) throw new Error(`write failed: ${JSON.stringify(outcome)}`);
  return outcome;
};

async function drain(pages: AsyncIterable<ChangePage>): Promise<ChangePage[]> {
  const out: ChangePage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const idsOf = (pages: readonly ChangePage[]) => pages.flatMap((p) => p.records.map((r) => r.id));
const cursorOf = (pages: readonly ChangePage[]) => pages.at(-1)!.cursor;

export function recordSideContract(name: string, make: () => Promise<SideFixture> | SideFixture): void {
  let serial = 0;
  const create = async (f: SideFixture, count: number): Promise<string[]> => {
    const ops: WriteOp[] = Array.from({ length: count }, (_, i) => ({ op: "create", ref: `c${i}`, data: f.data(++serial) }));
    const outcomes = await f.side.write(f.entity, ops);
    return outcomes.map((o) => created(o).id);
  };

  it(`${name}: a created record is read back by id, and found by a field whatever the case of the value`, async () => {
    const f = await make();
    const [id] = await create(f, 1);
    const [record] = await f.side.getByIds(f.entity, [id!, randomUUID()]);
    expect(record?.id).toBe(id);
    expect(record?.version).toBeTruthy();
    const email = getPath(record!.data, f.emailField) as string;
    expect(email).toMatch(/@/);
    const found = await f.side.findByField(f.entity, f.emailField, [email.toUpperCase()]);
    expect(found.map((r) => r.id)).toEqual([id]);
    expect(await f.side.findByField(f.entity, f.emailField, ["nobody@example.invalid"])).toEqual([]);
  });

  it(`${name}: the feed from the start holds every record; from its final cursor only later changes, a deletion as a tombstone`, async () => {
    const f = await make();
    const ids = await create(f, 3);
    const first = await drain(f.side.readChanges(f.entity, undefined, { pageSize: 50 }));
    expect(first.at(-1)?.final).toBe(true);
    expect(idsOf(first)).toEqual(expect.arrayContaining(ids));
    const idle = await drain(f.side.readChanges(f.entity, cursorOf(first), { pageSize: 50 }));
    expect(idsOf(idle)).toEqual([]);
    expect(idle.flatMap((p) => p.deletedIds)).toEqual([]);
    f.editByPerson(ids[0]!);
    f.deleteByPerson(ids[1]!);
    const later = await drain(f.side.readChanges(f.entity, cursorOf(idle), { pageSize: 50 }));
    expect(idsOf(later)).toEqual([ids[0]]);
    expect(later.flatMap((p) => p.deletedIds)).toEqual([ids[1]]);
    expect(await f.side.getByIds(f.entity, [ids[1]!])).toEqual([]);
  });

  it(`${name}: small pages: only the last is final, and a page's cursor resumes after that page`, async () => {
    const f = await make();
    const first = await drain(f.side.readChanges(f.entity, undefined, { pageSize: 50 }));
    const ids = await create(f, 5);
    const pages = await drain(f.side.readChanges(f.entity, cursorOf(first), { pageSize: 2 }));
    // The final cursor of a feed resumes there: no full read.
    expect(pages.filter((p) => p.fullResync)).toEqual([]);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.map((p) => p.final)).toEqual([...pages.slice(1).map(() => false), true]);
    expect(new Set(idsOf(pages))).toEqual(new Set(ids));
    const resumed = await drain(f.side.readChanges(f.entity, pages[0]!.cursor, { pageSize: 50 }));
    expect(new Set(idsOf(resumed))).toEqual(new Set(idsOf(pages.slice(1))));
  });

  it(`${name}: an update or delete on a stale version fails with 412, that operation only`, async () => {
    const f = await make();
    const [a, b] = await create(f, 2);
    const [before] = await f.side.getByIds(f.entity, [a!]);
    f.editByPerson(a!);
    f.editByPerson(b!);
    const [stillB] = await f.side.getByIds(f.entity, [b!]);
    const outcomes = await f.side.write(f.entity, [
      { op: "update", ref: "stale", id: a!, ifMatch: before!.version!, data: f.data(++serial) },
      { op: "delete", ref: "staleDelete", id: a!, ifMatch: before!.version! },
      { op: "update", ref: "fresh", id: b!, ifMatch: stillB!.version!, data: { [f.linkField]: randomUUID() } },
    ]);
    expect(outcomes.map((o) => [o.ref, o.ok, o.ok ? undefined : o.error.status])).toEqual([
      ["stale", false, 412],
      ["staleDelete", false, 412],
      ["fresh", true, undefined],
    ]);
    const [afterB] = await f.side.getByIds(f.entity, [b!]);
    expect(afterB?.version).not.toBe(stillB?.version);
    expect(outcomes[2]?.ok && outcomes[2].version).toBe(afterB?.version);
  });

  it(`${name}: a create with an upsert key, sent twice, is one record whose key field holds the key`, async () => {
    const f = await make();
    const key = randomUUID();
    const op = (ref: string): WriteOp => ({ op: "create", ref, data: f.data(++serial), upsertKey: { field: f.linkField, value: key } });
    const [one] = await f.side.write(f.entity, [op("a")]);
    const [two] = await f.side.write(f.entity, [op("b")]);
    expect(created(two).id).toBe(created(one).id);
    const found: SideRecord[] = await f.side.findByField(f.entity, f.linkField, [key]);
    expect(found.map((r) => r.id)).toEqual([created(one).id]);
  });

  it(`${name}: updating a record that does not exist fails that operation, not the call`, async () => {
    const f = await make();
    const [id] = await create(f, 1);
    const gone = await create(f, 1);
    f.deleteByPerson(gone[0]!);
    const outcomes = await f.side.write(f.entity, [
      { op: "update", ref: "gone", id: gone[0]!, data: { [f.linkField]: randomUUID() } },
      { op: "update", ref: "here", id: id!, data: { [f.linkField]: randomUUID() } },
    ]);
    expect(outcomes.map((o) => [o.ref, o.ok])).toEqual([
      ["gone", false],
      ["here", true],
    ]);
  });
}
