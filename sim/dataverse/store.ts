/**
 * The simulator's tables: rows with a row version (one counter for the whole
 * organisation, like SQL rowversion), alternate-key indexes, a deletion log and the
 * delta tokens issued for change tracking. Change sets write through a journal so a
 * failing operation can roll its change set back.
 */
import { randomUUID } from "node:crypto";
import { DV, SimError } from "./http.js";

export type Row = Record<string, unknown>;

export interface EntityConfig {
  readonly idField: string;
  readonly alternateKeys?: readonly string[];
}

export const DEFAULT_ENTITIES: Readonly<Record<string, EntityConfig>> = {
  contacts: { idField: "contactid", alternateKeys: ["hlf_meanderid"] },
  hlf_likepersonactivities: { idField: "hlf_likepersonactivityid", alternateKeys: ["hlf_meanderid"] },
};

/** Columns the platform maintains; values sent for them are ignored. */
const SYSTEM_COLUMNS = new Set(["versionnumber", "createdon", "modifiedon"]);

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: string): boolean => GUID_RE.test(value);

interface Table {
  readonly name: string;
  readonly config: EntityConfig;
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

  constructor(
    entities: Readonly<Record<string, EntityConfig>>,
    private readonly deltaTokenLifetimeMs?: number,
  ) {
    for (const [name, config] of Object.entries(entities)) {
      const keys = new Map<string, Map<string, string>>();
      for (const key of config.alternateKeys ?? []) keys.set(key, new Map());
      this.tables.set(name, { name, config, rows: new Map(), keys, deleted: new Map() });
    }
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
    return this.table(entitySet).config.idField;
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
      if (SYSTEM_COLUMNS.has(column) || column === table.config.idField) continue;
      result[column] = value;
    }
    return result;
  }

  /** Inserts a row; `id` may be given (Dataverse accepts a client-chosen primary key). */
  insert(entitySet: string, values: Readonly<Record<string, unknown>>, id?: string, journal?: Journal): WriteResult {
    const now = new Date();
    const table = this.table(entitySet);
    const idField = table.config.idField;
    const given = id ?? (typeof values[idField] === "string" ? (values[idField] as string) : undefined);
    if (given !== undefined && !isGuid(given)) throw new SimError(400, DV.badRequest, `The value of ${idField} is not a valid GUID.`);
    const rowId = (given ?? randomUUID()).toLowerCase();
    if (table.rows.has(rowId)) throw new SimError(412, DV.duplicateKey, "A record with matching key values already exists.");
    const stamp = now.toISOString();
    const row: Row = { ...this.cleanColumns(table, values), [idField]: rowId, createdon: stamp, modifiedon: stamp, versionnumber: this.nextVersion() };
    this.checkKeys(table, rowId, row);
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
    const changed = Object.entries(clean).some(([column, value]) => !sameValue(previous[column], value));
    const row: Row = { ...previous, ...clean, modifiedon: now.toISOString(), versionnumber: this.nextVersion() };
    this.checkKeys(table, rowId, row);
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

  /** Bulk load without change-tracking noise: rows get versions below every later token. */
  seed(entitySet: string, rows: readonly Row[]): void {
    const now = new Date().toISOString();
    const table = this.table(entitySet);
    const idField = table.config.idField;
    for (const given of rows) {
      // Logical names are lower case in Dataverse; queries and writes compare them so.
      const values = Object.fromEntries(Object.entries(given).map(([name, value]) => [name.toLowerCase(), value]));
      const id = values[idField];
      if (id !== undefined && (typeof id !== "string" || !isGuid(id))) throw new SimError(400, DV.badRequest, `Seed row: ${idField} is not a GUID.`);
      const rowId = (typeof id === "string" ? id : randomUUID()).toLowerCase();
      const row: Row = { createdon: now, modifiedon: now, ...values, [idField]: rowId, versionnumber: this.nextVersion() };
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
