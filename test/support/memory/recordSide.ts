/**
 * One system as an in-memory RecordSide, honouring the contract the adapters honour (the
 * contract suite in test/contracts runs against both): a change feed ordered by a change
 * sequence with cursors, checkpoints and tombstones, getByIds, findByField case-insensitive,
 * creates idempotent by upsertKey, updates and deletes refused with 412 on a stale version.
 *
 * `meander` flavour: nested data with the id inside, a version only when something changed, a
 * feed read from the start that still holds tombstones. `portal` flavour: flat columns with the
 * id column, the row version moving on every write, a full read of live rows only (as Dataverse). Tests drive it like people would (seed, edit, remove) and may hook writes
 * to inject failures, lost replies and concurrent edits between read and write.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { getPath, setPath } from "../../../shared/core/paths.js";
import type { Scalar, Side, SideRecord } from "../../../shared/core/types.js";
import { RecordError, type SyncErrorInfo, TransientError } from "../../../shared/errors.js";
import type { ChangePage, ReadOptions, RecordSide, WriteOp, WriteOutcome } from "../../../shared/ports.js";

type Json = Record<string, unknown>;

interface Stored {
  readonly id: string;
  readonly version: string;
  readonly seq: number;
  readonly modifiedOn: string;
  /** Null once deleted (a tombstone). */
  readonly data: Json | null;
}

export interface WriteHooks {
  /** Before an operation is applied: return an error to fail just that operation. */
  readonly refuse?: (entity: string, op: WriteOp) => SyncErrorInfo | undefined;
  /** After the call applied every operation: true loses the reply (the writes stay applied, the caller hears "unavailable"). */
  readonly loseReply?: (entity: string, ops: readonly WriteOp[]) => boolean;
  /** When the call starts, before anything is applied: a person's edit racing the run lands here. */
  readonly beforeApply?: (entity: string, ops: readonly WriteOp[]) => void;
}

export interface MemorySideOptions {
  readonly side: Side;
  /** The id column written into the data (portal: "contactid"); Meander data carries `id`. */
  readonly idField?: string;
  readonly now?: () => Date;
}

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** Nested objects merge member by member, dotted keys address nested members; anything else replaces. */
function merge(target: Json, patch: Readonly<Json>): Json {
  const out: Json = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key.includes(".")) setPath(out, key, structuredClone(value));
    else out[key] = isObject(out[key]) && isObject(value) ? merge(out[key] as Json, value) : structuredClone(value);
  }
  return out;
}

const same = (a: unknown, b: Scalar): boolean =>
  (typeof a === "string" || typeof a === "number") && String(a).trim().toLowerCase() === String(b).trim().toLowerCase();

export class MemorySide implements RecordSide {
  readonly side: Side;
  private readonly tables = new Map<string, Map<string, Stored>>();
  private seq = 0;
  /** Cursors at or below this sequence are expired: the next read is a full one. None at first (an empty feed's cursor, 0, is valid). */
  private expiredUpTo = -1;
  private readonly idField: string;
  private readonly now: () => Date;
  hooks: WriteHooks = {};
  /** Operations sent to write(), all entities: a run that has nothing to do sends none. */
  opsWritten = 0;

  constructor(options: MemorySideOptions) {
    this.side = options.side;
    this.idField = options.idField ?? "id";
    this.now = options.now ?? (() => new Date());
  }

  // ------------------------------------------------------------ what people do

  /** A record created by a person (no write through the port). */
  seed(entity: string, data: Json, id: string = randomUUID()): string {
    this.put(entity, id, merge({}, data));
    return id;
  }

  edit(entity: string, id: string, patch: Json): void {
    const current = this.table(entity).get(id);
    if (!current?.data) throw new Error(`no ${entity} record ${id}`);
    const next = merge(current.data, patch);
    if (this.side === "portal" || !isDeepStrictEqual(next, current.data)) this.put(entity, id, next);
  }

  remove(entity: string, id: string): void {
    if (this.table(entity).get(id)?.data) this.put(entity, id, null);
  }

  /** Every stored cursor stops working (an expired change token). */
  expireCursors(): void {
    this.expiredUpTo = this.seq;
  }

  get(entity: string, id: string): SideRecord | undefined {
    const stored = this.table(entity).get(id);
    return stored?.data ? this.record(stored) : undefined;
  }

  list(entity: string): SideRecord[] {
    return [...this.table(entity).values()].filter((s) => s.data).map((s) => this.record(s));
  }

  // ------------------------------------------------------------ the port

  async *readChanges(entity: string, cursor: string | undefined, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    const pageSize = Math.max(1, options.pageSize ?? 100);
    const parsed = cursor === undefined ? undefined : Number(cursor);
    const valid = parsed !== undefined && Number.isInteger(parsed) && parsed > this.expiredUpTo && parsed <= this.seq;
    const fullResync = cursor !== undefined && !valid;
    // A full read of Meander's feed still holds its tombstones; Dataverse's has only live rows.
    const live = !valid && this.side === "portal";
    let after = valid ? parsed : 0;
    for (;;) {
      const changes = [...this.table(entity).values()].filter((s) => s.seq > after && (s.data !== null || !live)).sort((a, b) => a.seq - b.seq);
      const page = changes.slice(0, pageSize);
      const last = page.at(-1)?.seq ?? (valid ? after : this.seq);
      const final = changes.length <= pageSize;
      yield {
        records: page.filter((s) => s.data).map((s) => this.record(s)),
        deletedIds: page.filter((s) => !s.data).map((s) => s.id),
        cursor: String(final ? Math.max(last, after) : last),
        final,
        ...(fullResync ? { fullResync } : {}),
      };
      if (final) return;
      after = last;
    }
  }

  async getByIds(entity: string, ids: readonly string[]): Promise<SideRecord[]> {
    return [...new Set(ids)].flatMap((id) => this.get(entity, id) ?? []);
  }

  async findByField(entity: string, field: string, values: readonly Scalar[]): Promise<SideRecord[]> {
    const wanted = values.filter((v) => v !== null && v !== "");
    return this.list(entity).filter((r) => wanted.some((v) => same(getPath(r.data, field), v)));
  }

  async write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    this.opsWritten += ops.length;
    this.hooks.beforeApply?.(entity, ops);
    const outcomes = ops.map((op) => this.apply(entity, op));
    if (!this.hooks.loseReply?.(entity, ops)) return outcomes;
    const error = new TransientError("REPLY_LOST", `${this.side} ${entity}: no answer after retries`).toInfo();
    return ops.map((op) => ({ ref: op.ref, ok: false, error }));
  }

  // ------------------------------------------------------------ inside

  private apply(entity: string, op: WriteOp): WriteOutcome {
    const refused = this.hooks.refuse?.(entity, op);
    if (refused) return { ref: op.ref, ok: false, error: refused };
    const fail = (status: number, code: string, problem: string): WriteOutcome => ({
      ref: op.ref,
      ok: false,
      error: new RecordError(code, `${this.side} ${entity} ${"id" in op ? op.id : `operation ${op.ref}`}: ${problem}`, { status }).toInfo(),
    });
    if (op.op === "create") {
      const key = op.upsertKey;
      const holder = key ? this.list(entity).find((r) => same(getPath(r.data, key.field), key.value)) : undefined;
      const data = key ? { ...op.data, [key.field]: key.value } : op.data;
      const id = holder?.id ?? randomUUID();
      return this.ok(op.ref, this.change(entity, id, merge(holder?.data ?? {}, data)));
    }
    const current = this.table(entity).get(op.id);
    if (!current?.data) return fail(404, "NOT_FOUND", "no such record");
    if (op.ifMatch !== undefined && op.ifMatch !== current.version) return fail(412, "PRECONDITION_FAILED", "the version changed since it was read");
    if (op.op === "delete") return this.ok(op.ref, this.put(entity, op.id, null));
    return this.ok(op.ref, this.change(entity, op.id, merge(current.data, op.data)));
  }

  private ok(ref: string, stored: Stored): WriteOutcome {
    return { ref, ok: true, id: stored.id, version: stored.version };
  }

  /** Meander keeps the version when nothing changed; Dataverse moves it on every write. */
  private change(entity: string, id: string, data: Json): Stored {
    const current = this.table(entity).get(id);
    if (this.side === "meander" && current?.data && isDeepStrictEqual(current.data, { ...data, id })) return current;
    return this.put(entity, id, data);
  }

  private put(entity: string, id: string, data: Json | null): Stored {
    this.seq += 1;
    const version = this.side === "portal" ? `W/"${this.seq}"` : `v${this.seq}`;
    const stored: Stored = { id, version, seq: this.seq, modifiedOn: this.now().toISOString(), data: data && { ...data, [this.idField]: id } };
    this.table(entity).set(id, stored);
    return stored;
  }

  private record(stored: Stored): SideRecord {
    return { id: stored.id, version: stored.version, modifiedOn: stored.modifiedOn, data: structuredClone(stored.data ?? {}) };
  }

  private table(entity: string): Map<string, Stored> {
    const table = this.tables.get(entity) ?? new Map<string, Stored>();
    this.tables.set(entity, table);
    return table;
  }
}
