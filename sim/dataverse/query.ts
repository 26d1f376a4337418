/**
 * GET of a collection: $select, $filter, $orderby, $top, $count, server-driven paging
 * (`Prefer: odata.maxpagesize`, `@odata.nextLink` with `$skiptoken`) and change
 * tracking (`Prefer: odata.track-changes`, `@odata.deltaLink`, `$deletedEntity` rows).
 */
import { compareValues, compileFilter, parseFilter } from "./filter.js";
import { DV, jsonResponse, preferences, SimError, type SimRequest, type SimResponse } from "./http.js";
import type { Row, Store } from "./store.js";
import { checkColumns, filterColumns } from "./validate.js";

export interface QueryContext {
  readonly store: Store;
  /** `https://host:port/api/data/v9.2/` */
  readonly baseUrl: string;
  readonly maxPageSize: number;
}

/** Where the next page starts; carried opaquely in `$skiptoken`. */
type SkipState =
  | { readonly m: "list"; readonly after: unknown[]; readonly left?: number; readonly snap: number; readonly track: boolean }
  | { readonly m: "delta"; readonly since: number; readonly snap: number; readonly after: number };

const encodeSkip = (state: SkipState): string => Buffer.from(JSON.stringify(state)).toString("base64url");

function decodeSkip(token: string): SkipState {
  try {
    const state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as SkipState;
    if (state && (state.m === "list" || state.m === "delta")) return state;
  } catch {
    // falls through to the error below
  }
  throw new SimError(400, DV.queryInvalid, "The $skiptoken is invalid.");
}

const COLUMN = /^[a-z_][a-z0-9_]*$/;

/** Column names are case-sensitive logical names; one the table lacks is a 400 (validate.ts). */
function parseSelect(store: Store, entitySet: string, text: string | null): string[] | undefined {
  if (!text) return undefined;
  const columns = text.split(",").map((c) => c.trim());
  checkColumns(store.definition(entitySet), columns);
  return columns;
}

function parseOrderBy(text: string | null): { column: string; desc: boolean }[] {
  if (!text) return [];
  return text.split(",").map((part) => {
    const [column = "", direction = "asc", ...rest] = part.trim().split(/\s+/);
    const dir = direction.toLowerCase();
    if (!COLUMN.test(column.toLowerCase()) || (dir !== "asc" && dir !== "desc") || rest.length > 0) {
      throw new SimError(400, DV.queryInvalid, "Syntax error in $orderby.");
    }
    return { column: column.toLowerCase(), desc: dir === "desc" };
  });
}

export function etagOf(row: Row): string {
  return `W/"${String(row.versionnumber)}"`;
}

/** A row as the Web API returns it: the ETag annotation, then the selected columns (and the key). */
export function shapeRow(row: Row, idField: string, select: readonly string[] | undefined): Row {
  const shaped: Row = { "@odata.etag": etagOf(row) };
  if (!select) return Object.assign(shaped, row);
  for (const column of select) shaped[column] = row[column] ?? null;
  shaped[idField] = row[idField];
  return shaped;
}

export function contextUrl(ctx: QueryContext, entitySet: string, select: readonly string[] | undefined, suffix = ""): string {
  return `${ctx.baseUrl}$metadata#${entitySet}${select ? `(${select.join(",")})` : ""}${suffix}`;
}

function link(ctx: QueryContext, entitySet: string, params: [string, string][]): string {
  // Dataverse writes `$` and `,` literally in its links; everything else is encoded.
  const query = params.map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%2C/gi, ",").replace(/%24/gi, "$")}`).join("&");
  return `${ctx.baseUrl}${entitySet}${query ? `?${query}` : ""}`;
}

function pageSizeOf(ctx: QueryContext, request: SimRequest, applied: string[]): number {
  const asked = Number.parseInt(preferences(request).get("odata.maxpagesize") ?? "", 10);
  if (Number.isFinite(asked) && asked > 0) {
    const size = Math.min(asked, ctx.maxPageSize);
    applied.push(`odata.maxpagesize=${size}`);
    return size;
  }
  return ctx.maxPageSize;
}

function compareKeys(a: readonly unknown[], b: readonly unknown[], desc: readonly boolean[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return desc[i] ? -c : c;
  }
  return 0;
}

/** Answers `GET <entitySet>` (a first query, a next page, or a delta link). */
export function queryCollection(ctx: QueryContext, entitySet: string, request: SimRequest): { response: SimResponse; delta: boolean } {
  const q = request.query;
  if (q.has("$expand") || q.has("$apply")) throw new SimError(400, DV.queryInvalid, "$expand and $apply are not supported by the simulator.");
  const skip = q.get("$skiptoken") ? decodeSkip(q.get("$skiptoken")!) : undefined;
  const deltaToken = q.get("$deltatoken");
  if (deltaToken !== null || skip?.m === "delta") {
    return { response: deltaPage(ctx, entitySet, request, deltaToken, skip?.m === "delta" ? skip : undefined), delta: true };
  }
  return { response: listPage(ctx, entitySet, request, skip), delta: false };
}

function listPage(ctx: QueryContext, entitySet: string, request: SimRequest, skip: SkipState | undefined): SimResponse {
  const q = request.query;
  const store = ctx.store;
  const idField = store.idField(entitySet);
  const applied: string[] = [];
  const track = skip?.m === "list" ? skip.track : preferences(request).has("odata.track-changes");
  if (track && (q.has("$filter") || q.has("$orderby") || q.has("$top"))) {
    // Change tracking (RetrieveEntityChanges) takes columns only, no filter or order.
    throw new SimError(400, DV.queryInvalid, "$filter, $orderby and $top are not supported with change tracking.");
  }
  if (track && !store.definition(entitySet).changeTrackingEnabled) {
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
    throw new SimError(400, DV.badRequest, `Change tracking is not enabled for the entity ${store.definition(entitySet).logicalName}.`);
  }
  if (track) applied.push("odata.track-changes");
  const select = parseSelect(store, entitySet, q.get("$select"));
  const parsedFilter = q.get("$filter") ? parseFilter(q.get("$filter")!) : undefined;
  if (parsedFilter) checkColumns(store.definition(entitySet), filterColumns(parsedFilter));
  const filter = parsedFilter ? compileFilter(parsedFilter) : undefined;
  const orderBy = parseOrderBy(q.get("$orderby"));
  checkColumns(
    store.definition(entitySet),
    orderBy.map((o) => o.column),
  );
  const order = [...orderBy, { column: idField, desc: false }];
  const desc = order.map((o) => o.desc);
  const topText = q.get("$top");
  const top = topText === null ? undefined : Number.parseInt(topText, 10);
  if (top !== undefined && !(top >= 0)) throw new SimError(400, DV.queryInvalid, "Invalid $top.");
  const pageSize = pageSizeOf(ctx, request, applied);
  const snap = skip?.m === "list" ? skip.snap : store.currentVersion;
  const left = skip?.m === "list" ? skip.left : top;

  const keyOf = (row: Row) => order.map((o) => row[o.column]);
  let rows = [...store.rows(entitySet)].filter((row) => !filter || filter(row));
  const total = rows.length;
  rows.sort((a, b) => compareKeys(keyOf(a), keyOf(b), desc));
  if (skip?.m === "list") rows = rows.filter((row) => compareKeys(keyOf(row), skip.after, desc) > 0);
  const limit = Math.min(pageSize, left ?? Number.POSITIVE_INFINITY);
  const page = rows.slice(0, limit);

  const body: Record<string, unknown> = { "@odata.context": contextUrl(ctx, entitySet, select) };
  if (q.get("$count") === "true") body["@odata.count"] = total;
  body.value = page.map((row) => shapeRow(row, idField, select));
  const last = page[page.length - 1];
  const more = rows.length > page.length && (left === undefined || left > page.length);
  if (more && last) {
    const keep: [string, string][] = [];
    for (const name of ["$select", "$filter", "$orderby", "$count"]) if (q.has(name)) keep.push([name, q.get(name)!]);
    const state: SkipState = { m: "list", after: keyOf(last), snap, track, ...(left !== undefined ? { left: left - page.length } : {}) };
    body["@odata.nextLink"] = link(ctx, entitySet, [...keep, ["$skiptoken", encodeSkip(state)]]);
  } else if (track) {
    const keep: [string, string][] = select ? [["$select", select.join(",")]] : [];
    body["@odata.deltaLink"] = link(ctx, entitySet, [...keep, ["$deltatoken", store.issueDeltaToken(entitySet, snap)]]);
  }
  return jsonResponse(200, body, applied.length ? { "Preference-Applied": applied.join(",") } : {});
}

type Change = { readonly version: number; readonly row?: Row; readonly id: string };

function deltaPage(
  ctx: QueryContext,
  entitySet: string,
  request: SimRequest,
  token: string | null,
  skip: Extract<SkipState, { m: "delta" }> | undefined,
): SimResponse {
  const store = ctx.store;
  const idField = store.idField(entitySet);
  const applied: string[] = [];
  const select = parseSelect(store, entitySet, request.query.get("$select"));
  const since = skip ? skip.since : store.redeemDeltaToken(entitySet, token ?? "");
  const snap = skip ? skip.snap : store.currentVersion;
  const after = skip ? skip.after : since;
  const pageSize = pageSizeOf(ctx, request, applied);

  const changes: Change[] = [];
  for (const row of store.rows(entitySet)) {
    const version = Number(row.versionnumber);
    if (version > after && version <= snap) changes.push({ version, row, id: String(row[idField]) });
  }
  for (const { id, version } of store.deletedSince(entitySet, after, snap)) changes.push({ version, id });
  changes.sort((a, b) => a.version - b.version);
  const page = changes.slice(0, pageSize);

  const deletedContext = `${ctx.baseUrl}$metadata#${entitySet}/$deletedEntity`;
  const body: Record<string, unknown> = {
    "@odata.context": contextUrl(ctx, entitySet, select, "/$delta"),
    value: page.map((change) => (change.row ? shapeRow(change.row, idField, select) : { "@odata.context": deletedContext, id: change.id, reason: "deleted" })),
  };
  const keep: [string, string][] = select ? [["$select", select.join(",")]] : [];
  const last = page[page.length - 1];
  if (changes.length > page.length && last) {
    const state: SkipState = { m: "delta", since, snap, after: last.version };
    body["@odata.nextLink"] = link(ctx, entitySet, [...keep, ["$skiptoken", encodeSkip(state)]]);
  } else {
    body["@odata.deltaLink"] = link(ctx, entitySet, [...keep, ["$deltatoken", store.issueDeltaToken(entitySet, snap)]]);
  }
  return jsonResponse(200, body, applied.length ? { "Preference-Applied": applied.join(",") } : {});
}
