/** Reads from Dataverse: the change-tracking feed and lookups by id or column. */
import type { Scalar, SideRecord } from "../../core/types.js";
import { FatalError, SyncError } from "../../errors.js";
import type { ChangePage, ReadOptions } from "../../ports.js";
import type { DataverseClient } from "./client.js";
import { dataverseCode, EXPIRED_DELTA_TOKEN } from "./errors.js";
import { CLIENT_PATH_LIMIT, chunkFilters, equalsClause, isGuidColumn } from "./odata.js";
import { deletedId, fromCursor, toCursor, toSideRecord } from "./records.js";

export interface EntitySettings {
  readonly idField: string;
  readonly alternateKey?: string;
  readonly select?: readonly string[];
  /**
   * A narrowed change feed: the delta asks only for `select` (id, scope and state columns,
   * the link field); the records `inScope` accepts are then read again by id with all
   * mapped columns, on a full read at once, on a delta read from a stored link at the
   * caller's asking (`ReadOptions.deferFullRead`: handed over `narrow`, for the caller's own
   * read by id). So the service never reads the personal data of contacts outside the
   * config's scope (change tracking cannot filter: every changed contact comes in the feed).
   */
  readonly delta?: { readonly select: readonly string[]; readonly inScope: (data: Readonly<Record<string, unknown>>) => boolean };
}

interface Page {
  readonly value: Record<string, unknown>[];
  readonly oDataNextLink?: string;
  readonly oDataDeltaLink?: string;
}

/** The columns to ask for; the id and modifiedon always come along (identity and the `newest` policy). */
export function columnsFor(entity: EntitySettings, select?: readonly string[]): string[] | undefined {
  const wanted = select ?? entity.select;
  if (!wanted?.length) return undefined;
  return [...new Set([entity.idField, "modifiedon", ...wanted])];
}

/**
 * A delta link keeps the $select it was made with. When the config now maps a
 * column the link does not read, unchanged records would never bring its
 * values: such a cursor is treated like an expired one.
 */
export function coversColumns(link: string, select: readonly string[] | undefined): boolean {
  const had = new URL(link).searchParams.get("$select");
  if (!had) return true;
  if (!select) return false;
  const columns = new Set(had.split(",").map((c) => c.trim().toLowerCase()));
  return select.every((c) => columns.has(c.toLowerCase()));
}

/** The same columns, in any order and case (a narrowed feed must not go on with a link that reads more). */
function sameColumns(link: string, select: readonly string[] | undefined): boolean {
  const had = new URL(link).searchParams.get("$select");
  if (!had || !select) return !had && !select;
  const a = new Set(had.split(",").map((c) => c.trim().toLowerCase()));
  const b = new Set(select.map((c) => c.toLowerCase()));
  return a.size === b.size && [...a].every((c) => b.has(c));
}

const isExpiredToken = (error: unknown) =>
  error instanceof SyncError && (error.code === "DELTA_TOKEN_EXPIRED" || dataverseCode(error.cause) === EXPIRED_DELTA_TOKEN);

/**
 * Change tracking: pages of `Prefer: odata.track-changes`. Intermediate pages
 * carry the nextLink as cursor (a run can checkpoint mid-feed), the last one the
 * deltaLink. An expired or foreign cursor turns into a full read marked `fullResync`.
 */
export async function* readChangePages(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  cursor: string | undefined,
  options: { pageSize: number; select?: readonly string[]; signal?: AbortSignal; unchanged?: ReadOptions["unchanged"]; deferFullRead?: boolean },
): AsyncGenerator<ChangePage> {
  const narrowed = options.select ? undefined : entity.delta;
  const select = narrowed ? columnsFor(entity, narrowed.select) : columnsFor(entity, options.select);
  const stored = cursor === undefined ? undefined : fromCursor(cursor, client.apiRoot, collection);
  // A link made before the feed was narrowed reads every mapped column of every contact: start afresh.
  let link = stored && coversColumns(stored, select) && (!narrowed || sameColumns(stored, select)) ? stored : undefined;
  let fullResync = cursor !== undefined && link === undefined;
  for (;;) {
    let page: Page;
    try {
      page = await client.call(
        `read changes of ${collection}`,
        (api, signal) =>
          api.retrieveMultiple({ collection, ...(select ? { select } : {}), trackChanges: true, maxPageSize: options.pageSize, signal }, link) as Promise<Page>,
        options.signal,
      );
    } catch (error) {
      if (link !== undefined && !fullResync && isExpiredToken(error)) {
        link = undefined;
        fullResync = true;
        continue;
      }
      throw error;
    }
    let records: SideRecord[] = [];
    const deletedIds: string[] = [];
    let leftOut = 0;
    for (const row of page.value) {
      const gone = deletedId(row);
      if (gone !== undefined) deletedIds.push(gone);
      else {
        const record = toSideRecord(row, entity.idField);
        // The caller's own write coming back, at the version the write answered: nothing more to read of it.
        if (options.unchanged?.(record.id, record.version, fullResync)) leftOut += 1;
        else records.push(record);
      }
    }
    const next = page.oDataNextLink;
    const end = next ?? page.oDataDeltaLink;
    // From a stored link the caller may read the in-scope records itself, together with others it needs.
    // A full read reads them here: the caller then matches against all it holds, by columns a narrow record lacks.
    if (narrowed && records.length > 0 && options.deferFullRead && cursor !== undefined && !fullResync)
      records = records.map((r) => (narrowed.inScope(r.data) ? { ...r, narrow: true } : r));
    else if (narrowed && records.length > 0) records = await readInScope(client, collection, entity, records, narrowed.inScope, options);
    if (!end) throw new FatalError("DELTA_LINK_MISSING", `change tracking of ${collection} returned no delta link: is change tracking enabled for the table?`);
    yield {
      records,
      deletedIds,
      cursor: toCursor(end, client.apiRoot),
      final: next === undefined,
      ...(fullResync ? { fullResync: true } : {}),
      ...(leftOut > 0 ? { leftOut } : {}),
    };
    if (next === undefined) return;
    link = next;
  }
}

/**
 * The in-scope records of a narrowed page, read again by id with every mapped column;
 * the others stay as the feed gave them (id, scope columns: enough to see they left
 * scope). A record deleted between the two reads is left out: the next feed reports it.
 * On a delta read with `deferFullRead` this is the caller's read instead (the records come
 * `narrow`; shared/sync/fullReads.ts reads them, and leaves out the deleted ones the same way).
 */
async function readInScope(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  records: readonly SideRecord[],
  inScope: (data: Readonly<Record<string, unknown>>) => boolean,
  options: { pageSize: number; signal?: AbortSignal },
): Promise<SideRecord[]> {
  const wanted = records.filter((r) => inScope(r.data)).map((r) => r.id);
  const read = wanted.length
    ? await readWhere(client, collection, entity, entity.idField, wanted, { pageSize: options.pageSize, ...(options.signal ? { signal: options.signal } : {}) })
    : [];
  const full = new Map(read.map((r) => [r.id.toLowerCase(), r]));
  const out: SideRecord[] = [];
  for (const r of records) {
    if (!inScope(r.data)) out.push(r);
    else {
      const record = full.get(r.id.toLowerCase());
      if (record) out.push(record);
    }
  }
  return out;
}

/** How many ids one GET by id carries with the entity's columns (at least 1): as many `id eq …` clauses as chunkFilters puts in one filter. */
export function idsPerGet(collection: string, entity: EntitySettings): number {
  const guid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const clauses = Array.from({ length: CLIENT_PATH_LIMIT }, (_, i) => equalsClause(entity.idField, guid(i), true)!);
  return Math.max(1, chunkFilters(collection, columnsFor(entity), clauses)[0]?.split(" or ").length ?? 1);
}

/**
 * Records whose `field` equals one of `values`: `or` filters split so each GET
 * stays a plain GET under the client's URL limit; every page of each is followed.
 */
export async function readWhere(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  field: string,
  values: readonly Scalar[],
  options: { pageSize: number; select?: readonly string[]; signal?: AbortSignal },
): Promise<SideRecord[]> {
  const guidColumn = isGuidColumn(field, entity.idField);
  const clauses = [...new Set(values.map((value) => equalsClause(field, value, guidColumn)).filter((c): c is string => c !== undefined))];
  if (!clauses.length) return [];
  const select = columnsFor(entity, options.select);
  const filters = chunkFilters(collection, select, clauses);
  const pages = await Promise.all(
    filters.map(async (filter) => {
      const rows: Record<string, unknown>[] = [];
      let link: string | undefined;
      do {
        const page: Page = await client.call(
          `find ${collection} by ${field}`,
          (api, signal) =>
            api.retrieveMultiple({ collection, ...(select ? { select } : {}), filter, maxPageSize: options.pageSize, signal }, link) as Promise<Page>,
          options.signal,
        );
        rows.push(...page.value);
        link = page.oDataNextLink;
      } while (link);
      return rows;
    }),
  );
  const seen = new Set<string>();
  const records: SideRecord[] = [];
  for (const row of pages.flat()) {
    const record = toSideRecord(row, entity.idField);
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    records.push(record);
  }
  return records;
}
