/**
 * The simulator's tables: rows with a row version (one counter for the whole
 * organisation, like SQL rowversion), alternate-key indexes, a deletion log and the
 * delta tokens issued for change tracking. Change sets write through a journal so a
 * failing operation can roll its change set back. Tables are described by their
 * metadata (schema.ts); writes pass the state rules and the plug-in pipeline.
 */
import { randomUUID } from "node:crypto";
import { DV, SimError } from "./http.js";
import { WritePipeline } from "./plugins.js";
import { attributeOf, type TableDef } from "./schema.js";

export type Row = Record<string, unknown>;

/** Columns the platform maintains; values sent for them are ignored. */
const SYSTEM_COLUMNS = new Set(["versionnumber", "createdon", "modifiedon"]);

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: string): boolean => GUID_RE.test(value);

/**
 * Dataverse stores date and time values to the second: `modifiedon` never carries
 * milliseconds, so two writes in one second share a `modifiedon` (the row version still
 * tells them apart). https://learn.microsoft.com/en-us/power-apps/developer/data-platform/behavior-format-date-time-attribute
 */
export const secondStamp = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

interface Table {
  readonly name: string;
  readonly def: TableDef;
  readonly idField: string;
  readonly rows: Map<string, Row>;
  /** alternate key column -> lower-cased value -> id */
  readonly keys: Map<string, Map<string, string>>;
  /** id -> version at which it was deleted */
  readonly deleted: Map<string, number>;
}

interface DeltaToken {
  readonly entitySet: string;
  readonly version: number;
  readonly issuedAt: number;
}

type Undo = () => void;
export interface Journal {
  readonly undo: Undo[];
}

export interface WriteResult {
  readonly id: string;
  readonly row: Row;
  readonly created: boolean;
  /** False when no column value changed (the row version still moves, as in Dataverse). */
  readonly changed: boolean;
}

const keyValue = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value).toLowerCase());

export class Store {
  private readonly tables = new Map<string, Table>();
  private version = 1000;
  private tokens = new Map<string, DeltaToken>();

  readonly pipeline = new WritePipeline();

  constructor(
    tables: readonly TableDef[],
    private readonly deltaTokenLifetimeMs?: number,
  ) {
    for (const def of tables) {
      const keys = new Map<string, Map<string, string>>();
      for (const key of def.keys) for (const column of key.attributes) keys.set(column, new Map());
      this.tables.set(def.entitySetName, { name: def.entitySetName, def, idField: def.primaryIdAttribute, rows: new Map(), keys, deleted: new Map() });
    }
  }

  /** The table's metadata (live: key status and change tracking can be changed by tests). */
  definition(entitySet: string): TableDef {
    return this.table(entitySet).def;
  }

  definitions(): TableDef[] {
    return [...this.tables.values()].map((t) => t.def);
  }

  get currentVersion(): number {
    return this.version;
  }

  table(entitySet: string): Table {
    const table = this.tables.get(entitySet);
    if (!table) throw new SimError(404, DV.notFound, `Resource not found for the segment '${entitySet}'.`);
    return table;
  }

  hasTable(entitySet: string): boolean {
    return this.tables.has(entitySet);
  }

  idField(entitySet: string): string {
    return this.table(entitySet).idField;
  }

  get(entitySet: string, id: string): Row | undefined {
    return this.table(entitySet).rows.get(id.toLowerCase());
  }

  /** Resolves an alternate key (all its columns) to a row id. */
  findByKey(entitySet: string, key: Readonly<Record<string, unknown>>): string | undefined {
    const table = this.table(entitySet);
    const names = Object.keys(key);
    const [first] = names;
    if (!first) return undefined;
    const index = table.keys.get(first);
    if (!index || names.some((name) => !table.keys.has(name))) {
      throw new SimError(400, DV.queryInvalid, `The key '${names.join(",")}' is not an alternate key of ${entitySet}.`);
    }
    // An alternate key is usable only once its index is built; until then (Pending,
    // InProgress) or after a failure the request is refused. Dataverse documents no code
    // for this; the simulator answers with the generic query error.
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/define-alternate-keys-entity
    const def = table.def.keys.find((k) => k.attributes.length === names.length && names.every((n) => k.attributes.includes(n)));
    if (def && def.status !== "Active") {
      throw new SimError(
        400,
        DV.queryInvalid,
        `The alternate key ${def.logicalName} of ${table.def.logicalName} cannot be used: its index status is ${def.status}.`,
      );
    }
    const id = index.get(keyValue(key[first]) ?? "");
    if (!id) return undefined;
    const row = table.rows.get(id);
    return row && names.every((name) => keyValue(row[name]) === keyValue(key[name])) ? id : undefined;
  }

  rows(entitySet: string): IterableIterator<Row> {
    return this.table(entitySet).rows.values();
  }

  /** Ids deleted after `since` and not recreated since, with the version of their deletion. */
  deletedSince(entitySet: string, since: number, upTo: number): { id: string; version: number }[] {
    const result: { id: string; version: number }[] = [];
    for (const [id, version] of this.table(entitySet).deleted) if (version > since && version <= upTo) result.push({ id, version });
    return result;
  }

  // ------------------------------------------------------------------ delta tokens

  issueDeltaToken(entitySet: string, version: number): string {
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    // Dataverse's tokens look like "919042!08/22/2017 08:10:44": a version and a time.
    const token = `${version}!${stamp}!${randomUUID().slice(0, 8)}`;
    this.tokens.set(token, { entitySet, version, issuedAt: Date.now() });
    return token;
  }

  /** The version a delta token stands for; throws Dataverse's expired-token error otherwise. */
  redeemDeltaToken(entitySet: string, token: string): number {
    const entry = this.tokens.get(token);
    const expired =
      !entry || entry.entitySet !== entitySet || (this.deltaTokenLifetimeMs !== undefined && Date.now() - entry.issuedAt > this.deltaTokenLifetimeMs);
    if (expired) {
      throw new SimError(400, DV.expiredVersionStamp, "Version stamp associated with the client has expired. Please perform a full sync.");
    }
    return entry.version;
  }

  expireDeltaTokens(): void {
    this.tokens = new Map();
  }

  // ------------------------------------------------------------------ writes

  /** Undoes, newest first, every write recorded in `journal` (a failed change set). */
  rollback(journal: Journal): void {
    for (const undo of journal.undo.splice(0).reverse()) undo();
  }

  private nextVersion(): number {
    this.version += 1;
    return this.version;
  }

  private checkKeys(table: Table, id: string, row: Row): void {
    for (const [column, index] of table.keys) {
      const value = keyValue(row[column]);
      const holder = value === undefined ? undefined : index.get(value);
      if (holder && holder !== id) throw new SimError(412, DV.duplicateKey, "A record with matching key values already exists.");
    }
  }

  private put(table: Table, id: string, row: Row | undefined): void {
    const previous = table.rows.get(id);
    for (const [column, index] of table.keys) {
      const before = keyValue(previous?.[column]);
      if (before !== undefined && index.get(before) === id) index.delete(before);
      const after = keyValue(row?.[column]);
      if (after !== undefined) index.set(after, id);
    }
    if (row) table.rows.set(id, row);
    else table.rows.delete(id);
  }

  private restore(table: Table, id: string): Undo {
    const previous = table.rows.get(id);
    const deletedAt = table.deleted.get(id);
    return () => {
      this.put(table, id, previous);
      if (deletedAt === undefined) table.deleted.delete(id);
      else table.deleted.set(id, deletedAt);
    };
  }

  private cleanColumns(table: Table, values: Readonly<Record<string, unknown>>): Row {
    const result: Row = {};
    for (const [name, value] of Object.entries(values)) {
      const column = name.toLowerCase();
      if (SYSTEM_COLUMNS.has(column) || column === table.idField) continue;
      result[column] = value;
    }
    return result;
  }

  /** Inserts a row; `id` may be given (Dataverse accepts a client-chosen primary key). */
  insert(entitySet: string, values: Readonly<Record<string, unknown>>, id?: string, journal?: Journal): WriteResult {
    const now = new Date();
    const table = this.table(entitySet);
    const idField = table.idField;
    const given = id ?? (typeof values[idField] === "string" ? (values[idField] as string) : undefined);
    if (given !== undefined && !isGuid(given)) throw new SimError(400, DV.badRequest, `The value of ${idField} is not a valid GUID.`);
    const rowId = (given ?? randomUUID()).toLowerCase();
    if (table.rows.has(rowId)) throw new SimError(412, DV.duplicateKey, "A record with matching key values already exists.");
    const stamp = secondStamp(now);
    const clean = this.cleanColumns(table, values);
    const state = withState(table.def, undefined, clean);
    const candidate = this.pipeline.apply(entitySet, { ...clean, ...state, [idField]: rowId }, new Set(Object.keys(clean)));
    this.checkKeys(table, rowId, candidate);
    const row: Row = { ...candidate, createdon: stamp, modifiedon: stamp, versionnumber: this.nextVersion() };
    journal?.undo.push(this.restore(table, rowId));
    this.put(table, rowId, row);
    table.deleted.delete(rowId);
    return { id: rowId, row, created: true, changed: true };
  }

  update(entitySet: string, id: string, patch: Readonly<Record<string, unknown>>, journal?: Journal): WriteResult {
    const now = new Date();
    const table = this.table(entitySet);
    const rowId = id.toLowerCase();
    const previous = table.rows.get(rowId);
    if (!previous) throw notFound(entitySet, rowId);
    const clean = this.cleanColumns(table, patch);
    const candidate = this.pipeline.apply(entitySet, { ...previous, ...clean, ...withState(table.def, previous, clean) }, new Set(Object.keys(clean)));
    const changed = Object.entries(candidate).some(([column, value]) => !sameValue(previous[column], value));
    this.checkKeys(table, rowId, candidate);
    const row: Row = { ...candidate, modifiedon: secondStamp(now), versionnumber: this.nextVersion() };
    journal?.undo.push(this.restore(table, rowId));
    this.put(table, rowId, row);
    return { id: rowId, row, created: false, changed };
  }

  remove(entitySet: string, id: string, journal?: Journal): void {
    const table = this.table(entitySet);
    const rowId = id.toLowerCase();
    if (!table.rows.has(rowId)) throw notFound(entitySet, rowId);
    journal?.undo.push(this.restore(table, rowId));
    this.put(table, rowId, undefined);
    table.deleted.set(rowId, this.nextVersion());
  }

  /**
   * The Merge action: the target takes `updateContent`, records that looked up the
   * subordinate look up the target, and the subordinate is deactivated with `merged`
   * true and `masterid` naming the target. Each of these is a tracked change.
   * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/merge
   */
  merge(entitySet: string, targetId: string, subordinateId: string, updateContent: Row, journal?: Journal): void {
    const table = this.table(entitySet);
    const def = table.def;
    if (!attributeOf(def, "merged") || !attributeOf(def, "masterid")) {
      throw new SimError(400, DV.badRequest, `Merge is not supported for entity ${def.logicalName}.`);
    }
    const target = targetId.toLowerCase();
    const subordinate = subordinateId.toLowerCase();
    if (!table.rows.has(target)) throw notFound(entitySet, target);
    const sub = table.rows.get(subordinate);
    if (!sub) throw notFound(entitySet, subordinate);
    if (target === subordinate) throw new SimError(400, DV.badRequest, "The target and the subordinate of a merge must be different records.");
    if (sub.merged === true) throw new SimError(400, DV.badRequest, "The subordinate record has already been merged.");
    this.update(entitySet, target, updateContent, journal);
    for (const other of this.tables.values()) {
      for (const lookup of other.def.attributes) {
        if (lookup.type !== "Lookup" || !lookup.targets?.includes(def.logicalName) || lookup.readOnly) continue;
        const column = `_${lookup.logicalName}_value`;
        for (const [id, row] of other.rows) if (row[column] === subordinate) this.update(other.name, id, { [column]: target }, journal);
      }
    }
    this.update(entitySet, subordinate, { statecode: 1, statuscode: 2, merged: true, _masterid_value: target }, journal);
  }

  /** Bulk load without change-tracking noise: rows get versions below every later token. */
  seed(entitySet: string, rows: readonly Row[]): void {
    const now = secondStamp(new Date());
    const table = this.table(entitySet);
    const idField = table.idField;
    for (const given of rows) {
      // Logical names are lower case in Dataverse; queries and writes compare them so.
      const values = Object.fromEntries(Object.entries(given).map(([name, value]) => [name.toLowerCase(), value]));
      const id = values[idField];
      if (id !== undefined && (typeof id !== "string" || !isGuid(id))) throw new SimError(400, DV.badRequest, `Seed row: ${idField} is not a GUID.`);
      const rowId = (typeof id === "string" ? id : randomUUID()).toLowerCase();
      const row: Row = {
        createdon: now,
        modifiedon: now,
        ...withState(table.def, undefined, values),
        ...values,
        [idField]: rowId,
        versionnumber: this.nextVersion(),
      };
      this.checkKeys(table, rowId, row);
      this.put(table, rowId, row);
    }
  }
}

export function notFound(entitySet: string, id: string): SimError {
  return new SimError(404, DV.notFound, `${entitySet} With Id = ${id} Does Not Exist`);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The state pair after a write. A record starts Active with the default status; a state
 * alone gets that state's default status; a status alone must belong to the current state;
 * a pair must match. Anything else is Dataverse's "State code or status code is invalid".
 * https://learn.microsoft.com/en-us/dynamics365/customer-engagement/developer/define-custom-state-model-transitions
 */
function withState(def: TableDef, previous: Row | undefined, values: Row): Row {
  const state = attributeOf(def, "statecode");
  const status = attributeOf(def, "statuscode");
  if (!state?.options || !status?.options) return {};
  const givenState = values.statecode;
  const givenStatus = values.statuscode;
  const stateValue = givenState ?? previous?.statecode ?? 0;
  const stateOption = state.options.find((o) => o.value === stateValue);
  if (!stateOption) throw new SimError(400, DV.invalidState, `${String(stateValue)} is not a valid state code on ${def.logicalName}.`);
  if (givenStatus === undefined || givenStatus === null) {
    if (givenState === undefined && previous) return {};
    return { statecode: stateOption.value, statuscode: stateOption.defaultStatus };
  }
  const statusOption = status.options.find((o) => o.value === givenStatus);
  if (!statusOption || statusOption.state !== stateOption.value) {
    throw new SimError(
      400,
      DV.invalidState,
      `${String(givenStatus)} is not a valid status code for state code ${def.schemaName}State.${stateOption.label} on ${def.logicalName}.`,
    );
  }
  return { statecode: stateOption.value, statuscode: statusOption.value };
}
