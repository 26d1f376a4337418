/**
 * Meander's data as the simulator keeps it: records with versions, a per-entity change
 * sequence that orders the feed, tombstones, and the match-key normalisation the
 * contract promises. No HTTP here.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { type Contract, type FieldProblem, loadContract } from "./contract.js";

export type Entity = "likepersons" | "activities";
export const ENTITIES: readonly Entity[] = ["likepersons", "activities"];
export const isEntity = (value: string): value is Entity => (ENTITIES as readonly string[]).includes(value);

type Json = Record<string, unknown>;

export interface StoredRecord {
  readonly id: string;
  readonly version: string;
  readonly modifiedAt: string;
  /** Position in the change feed: every change takes the next number. */
  readonly seq: number;
  readonly externalRef: string | null;
  /** Null once deleted (a tombstone). */
  readonly data: Json | null;
}

/** The wire form of a live record. */
export interface WireRecord {
  id: string;
  version: string;
  modifiedAt: string;
  externalRef: string | null;
  data: Json;
}

export interface BatchOperation {
  ref: string;
  op: "upsert" | "delete";
  id?: string;
  externalRef?: string;
  ifVersion?: string;
  data?: Json;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldProblem[];
}

export interface BatchResult {
  ref: string;
  status: 200 | 201 | 204 | 404 | 409 | 412 | 422;
  id?: string;
  version?: string;
  problem?: Problem;
}

export const problem = (status: number, code: string, detail: string, errors?: FieldProblem[]): Problem => ({
  type: `https://meander.example/problems/${code.toLowerCase().replaceAll("_", "-")}`,
  title: code.replaceAll("_", " ").toLowerCase(),
  status,
  code,
  detail,
  ...(errors && errors.length > 0 ? { errors } : {}),
});

const TEMPLATES: Record<Entity, Json> = {
  likepersons: {
    memberNumber: null,
    contact: { email: null, mobile: null },
    address: { postalCode: null, city: null },
    chapter: null,
    status: "active",
    trainingCompletedOn: null,
    portalContactId: null,
  },
  activities: { chapter: null },
};

const SCHEMAS: Record<Entity, { full: string; patch: string; create: string }> = {
  likepersons: { full: "Likeperson", patch: "LikepersonPatch", create: "LikepersonCreate" },
  activities: { full: "Activity", patch: "ActivityPatch", create: "ActivityCreate" },
};

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** Objects merge member by member; anything else (null included) replaces. */
export function merge(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : structuredClone(value);
  }
  return out;
}

/** Match-key comparison as the contract states it. */
export function normaliseKey(field: string, value: string): string {
  switch (field) {
    case "memberNumber":
      return value.trim().replace(/^0+(?=\d)/, "");
    case "contact.email":
    case "portalContactId":
    case "externalRef":
      return value.trim().toLowerCase();
    case "contact.mobile": {
      let digits = value.replace(/\D/g, "");
      if (digits.startsWith("00")) digits = digits.slice(2);
      if (digits.length === 10 && digits.startsWith("47")) digits = digits.slice(2);
      return digits;
    }
    default:
      return value;
  }
}

export const LOOKUP_FIELDS: Record<Entity, readonly string[]> = {
  likepersons: ["memberNumber", "contact.email", "contact.mobile", "portalContactId", "externalRef"],
  activities: ["likepersonId", "externalRef"],
};

const valueAt = (record: StoredRecord, field: string): unknown => {
  if (field === "externalRef") return record.externalRef;
  let current: unknown = record.data;
  for (const part of field.split(".")) current = isObject(current) ? current[part] : undefined;
  return current;
};

export class EntityStore {
  private seq = 0;
  private readonly records = new Map<string, StoredRecord>();
  /** Append-only (seq, id) log; an entry is live while the record still has that seq. */
  private readonly log: { seq: number; id: string }[] = [];
  /** Cursors of an older generation are expired (410). */
  cursorGeneration = 0;
  private readonly contract: Contract = loadContract();

  constructor(
    readonly entity: Entity,
    private readonly now: () => Date,
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  private put(id: string, data: Json | null, externalRef: string | null): StoredRecord {
    this.seq += 1;
    const record: StoredRecord = { id, version: `v${this.seq.toString(36)}`, modifiedAt: this.now().toISOString(), seq: this.seq, externalRef, data };
    this.index(this.records.get(id), "delete");
    this.records.set(id, record);
    this.index(record, "add");
    this.log.push({ seq: this.seq, id });
    return record;
  }

  /**
   * Live records by normalised externalRef and member number, so that a batch write checks
   * its uniqueness rules without scanning the store (a 50,000-record first sync was quadratic).
   */
  private readonly keyIndex = { externalRef: new Map<string, Set<string>>(), memberNumber: new Map<string, Set<string>>() };

  private index(record: StoredRecord | undefined, change: "add" | "delete"): void {
    if (!record?.data) return;
    const keys: [Map<string, Set<string>>, string][] = [];
    if (record.externalRef !== null) keys.push([this.keyIndex.externalRef, normaliseKey("externalRef", record.externalRef)]);
    if (typeof record.data.memberNumber === "string") keys.push([this.keyIndex.memberNumber, normaliseKey("memberNumber", record.data.memberNumber)]);
    for (const [map, key] of keys) {
      const ids = map.get(key) ?? new Set<string>();
      if (change === "add") map.set(key, ids.add(record.id));
      else if (ids.delete(record.id) && ids.size === 0) map.delete(key);
    }
  }

  get(id: string): StoredRecord | undefined {
    const record = this.records.get(id);
    return record?.data ? record : undefined;
  }

  live(): StoredRecord[] {
    return [...this.records.values()].filter((r) => r.data !== null);
  }

  wire(record: StoredRecord): WireRecord {
    return { id: record.id, version: record.version, modifiedAt: record.modifiedAt, externalRef: record.externalRef, data: structuredClone(record.data ?? {}) };
  }

  /** Loads records as they are (`id` inside), checked against the contract's full schema. */
  seed(records: readonly Json[]): void {
    for (const [index, raw] of records.entries()) {
      const { id, externalRef, ...data } = raw as Json & { id?: unknown; externalRef?: unknown };
      const full = merge(TEMPLATES[this.entity], data);
      const problems = this.contract.check(SCHEMAS[this.entity].full, full);
      if (typeof id !== "string" || problems.length > 0) {
        throw new Error(`seed ${this.entity}[${index}] does not fit the contract: ${problems.map((p) => `${p.pointer} ${p.detail}`).join("; ") || "id"}`);
      }
      this.put(id, full, typeof externalRef === "string" ? externalRef : null);
    }
  }

  /** A change made by a Meander user: a new version and a feed entry (when anything changed). */
  edit(id: string, patch: Json): StoredRecord {
    const record = this.get(id);
    if (!record?.data) throw new Error(`no ${this.entity} record ${id}`);
    const next = merge(record.data, patch);
    if (isDeepStrictEqual(next, record.data)) return record;
    return this.put(id, next, record.externalRef);
  }

  create(data: Json): string {
    const id = randomUUID();
    this.put(id, merge(TEMPLATES[this.entity], data), null);
    return id;
  }

  remove(id: string): void {
    const record = this.get(id);
    if (record) this.put(id, null, record.externalRef);
  }

  /** Live records and tombstones after `afterSeq`, oldest change first. */
  changes(afterSeq: number, limit: number): { items: StoredRecord[]; lastSeq: number; hasMore: boolean } {
    let low = 0;
    let high = this.log.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.log[mid]!.seq <= afterSeq) low = mid + 1;
      else high = mid;
    }
    const items: StoredRecord[] = [];
    let lastSeq = afterSeq;
    let index = low;
    for (; index < this.log.length && items.length < limit; index++) {
      const entry = this.log[index]!;
      const record = this.records.get(entry.id);
      if (record?.seq !== entry.seq) continue;
      items.push(record);
      lastSeq = entry.seq;
    }
    while (index < this.log.length && this.records.get(this.log[index]!.id)?.seq !== this.log[index]!.seq) index++;
    return { items, lastSeq, hasMore: index < this.log.length };
  }

  lookup(field: string, values: readonly string[]): StoredRecord[] {
    const wanted = new Set(values.map((v) => normaliseKey(field, v)));
    return this.live().filter((r) => {
      const value = valueAt(r, field);
      return typeof value === "string" && wanted.has(normaliseKey(field, value));
    });
  }

  /** One batch operation; `index` names it in problem pointers. */
  apply(op: BatchOperation, index: number): { result: BatchResult; changed: boolean } {
    const fail = (status: BatchResult["status"], code: string, detail: string, errors?: FieldProblem[]) => ({
      result: { ref: op.ref, status, ...(op.id ? { id: op.id } : {}), problem: problem(status, code, detail, errors) },
      changed: false,
    });
    const target = op.id ? this.get(op.id) : op.externalRef ? this.byExternalRef(op.externalRef) : undefined;
    if (op.id && !target) return fail(404, "NOT_FOUND", `no ${this.entity} record with this id`);
    if (op.ifVersion !== undefined && target?.version !== op.ifVersion) {
      return fail(412, "PRECONDITION_FAILED", "the record's version differs from ifVersion");
    }
    if (op.op === "delete") {
      this.remove(target!.id);
      return { result: { ref: op.ref, status: 204, id: target!.id }, changed: true };
    }
    const data = op.data ?? {};
    const problems = this.contract.check(SCHEMAS[this.entity][target ? "patch" : "create"], data, `/operations/${index}/data`);
    if (problems.length > 0) return fail(422, "INVALID_DATA", "data does not fit the entity's schema", problems);
    if (op.externalRef) {
      const owner = this.byExternalRef(op.externalRef);
      if (owner && owner.id !== target?.id) return fail(409, "EXTERNAL_REF_IN_USE", "externalRef belongs to another record");
    }
    const next = merge(target?.data ?? TEMPLATES[this.entity], data);
    const duplicate = this.duplicateMemberNumber(next, target?.id);
    if (duplicate)
      return fail(409, "DUPLICATE_MEMBER_NUMBER", `memberNumber is in use by record ${duplicate}`, [
        { pointer: `/operations/${index}/data/memberNumber`, detail: "is in use" },
      ]);
    const externalRef = op.externalRef ?? target?.externalRef ?? null;
    if (target?.data && isDeepStrictEqual(next, target.data) && externalRef === target.externalRef) {
      return { result: { ref: op.ref, status: 200, id: target.id, version: target.version }, changed: false };
    }
    const record = this.put(target?.id ?? randomUUID(), next, externalRef);
    return { result: { ref: op.ref, status: target ? 200 : 201, id: record.id, version: record.version }, changed: true };
  }

  private byExternalRef(externalRef: string): StoredRecord | undefined {
    const [id] = this.keyIndex.externalRef.get(normaliseKey("externalRef", externalRef)) ?? [];
    return id === undefined ? undefined : this.get(id);
  }

  private duplicateMemberNumber(data: Json, selfId: string | undefined): string | undefined {
    if (this.entity !== "likepersons" || typeof data.memberNumber !== "string") return undefined;
    const ids = this.keyIndex.memberNumber.get(normaliseKey("memberNumber", data.memberNumber)) ?? [];
    return [...ids].find((id) => id !== selfId);
  }
}
