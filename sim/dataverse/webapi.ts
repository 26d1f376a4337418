/**
 * One Web API operation below `/api/data/v9.2/`: GET (collection or one row, by id or
 * alternate key), POST (create), PATCH (update / upsert), DELETE. Serves plain requests
 * and the operations inside a $batch alike.
 */
import type { DataverseCounters, RequestKind } from "./counters.js";
import { DV, dvError, emptyResponse, header, jsonResponse, preferences, SimError, type SimRequest, type SimResponse } from "./http.js";
import { handleMetadata } from "./metadata.js";
import { contextUrl, etagOf, type QueryContext, queryCollection, shapeRow } from "./query.js";
import { isGuid, type Journal, notFound, type Row, type WriteResult } from "./store.js";
import { checkBody, checkColumns } from "./validate.js";

export interface WebApiContext extends QueryContext {
  readonly counters: DataverseCounters;
  readonly perRecordMs: number;
}

export interface OperationOptions {
  /** Present inside a change set: the writes to undo when the change set fails. */
  readonly journal?: Journal;
  /** Content-ID -> `entitySet(id)` of the rows created earlier in the change set. */
  readonly contentIds?: ReadonlyMap<string, string>;
}

export interface OperationResult {
  readonly response: SimResponse;
  /** `entitySet(id)` of the row written, for `$n` references in a change set. */
  readonly entityPath?: string;
}

type Target = { readonly entitySet: string; readonly id?: string; readonly key?: Record<string, unknown> };

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s;

/** Parses `name='v''x',other=5` (an alternate key) or a GUID, with or without braces. */
function parseKey(text: string): Pick<Target, "id" | "key"> {
  const trimmed = text.trim().replace(/^\{(.*)\}$/, "$1");
  if (isGuid(trimmed)) return { id: trimmed.toLowerCase() };
  const key: Record<string, unknown> = {};
  let rest = trimmed;
  while (rest.length > 0) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('((?:[^']|'')*)'|-?\d+(?:\.\d+)?)\s*(,|$)/.exec(rest);
    if (!match) throw new SimError(400, DV.queryInvalid, "Invalid key segment in the request URL.");
    key[match[1]!.toLowerCase()] = match[3] !== undefined ? match[3].replaceAll("''", "'") : Number(match[2]);
    rest = rest.slice(match[0].length);
  }
  if (Object.keys(key).length === 0) throw new SimError(400, DV.queryInvalid, "Empty key segment in the request URL.");
  return { key };
}

function parseTarget(ctx: WebApiContext, path: string, contentIds?: ReadonlyMap<string, string>): Target {
  let resolved = path;
  const reference = /^\$([A-Za-z0-9_-]+)(.*)$/s.exec(path);
  if (reference) {
    const entityPath = contentIds?.get(reference[1]!);
    if (!entityPath) throw new SimError(400, DV.badRequest, "Content-ID reference not found in the change set.");
    resolved = entityPath + reference[2];
  }
  const match = SEGMENT.exec(resolved);
  if (!match) throw new SimError(400, DV.badRequest, "Navigation paths are not supported by the simulator.");
  const entitySet = match[1]!;
  if (!ctx.store.hasTable(entitySet)) throw new SimError(404, DV.queryInvalid, `Resource not found for the segment '${entitySet}'.`);
  return { entitySet, ...(match[2] !== undefined ? parseKey(match[2]) : {}) };
}

function resolveId(ctx: WebApiContext, target: Target): string | undefined {
  if (target.id) return ctx.store.get(target.entitySet, target.id) ? target.id : undefined;
  return target.key ? ctx.store.findByKey(target.entitySet, target.key) : undefined;
}

/**
 * The JSON body as columns, checked against the table's metadata (validate.ts):
 * annotations dropped, `nav@odata.bind` turned into `_lookup_value`.
 */
function parseBody(ctx: WebApiContext, entitySet: string, body: string, contentIds?: ReadonlyMap<string, string>): Row {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body || "{}");
  } catch {
    throw new SimError(400, DV.badRequest, "The request body is not valid JSON.");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new SimError(400, DV.badRequest, "The request body must be a JSON object.");
  return checkBody(ctx.store.definition(entitySet), ctx.store.definitions(), parsed as Record<string, unknown>, (name, value) => {
    const target = typeof value === "string" ? value.replace(ctx.baseUrl, "").replace(/^\//, "") : "";
    const reference = /^\$([A-Za-z0-9_-]+)$/.exec(target);
    const path = reference ? contentIds?.get(reference[1]!) : target;
    const match = path ? /^([A-Za-z_][A-Za-z0-9_]*)\(([0-9a-fA-F-]{36})\)$/.exec(path) : undefined;
    if (!match) throw new SimError(400, DV.badRequest, `Invalid reference in ${name}.`);
    return { entitySet: match[1]!, id: match[2]!.toLowerCase() };
  });
}

function selectOf(ctx: WebApiContext, entitySet: string, request: SimRequest): string[] | undefined {
  const text = request.query.get("$select");
  if (!text) return undefined;
  const columns = text.split(",").map((c) => c.trim());
  checkColumns(ctx.store.definition(entitySet), columns);
  return columns;
}

function writeResponse(ctx: WebApiContext, request: SimRequest, entitySet: string, result: WriteResult, method: string): OperationResult {
  const entityPath = `${entitySet}(${result.id})`;
  const location = { "OData-EntityId": `${ctx.baseUrl}${entityPath}` };
  if (preferences(request).get("return") === "representation") {
    const select = selectOf(ctx, entitySet, request);
    const body = { "@odata.context": `${contextUrl(ctx, entitySet, select)}/$entity`, ...shapeRow(result.row, ctx.store.idField(entitySet), select) };
    const status = method === "POST" || result.created ? 201 : 200;
    return { response: jsonResponse(status, body, { ...location, ETag: etagOf(result.row), "Preference-Applied": "return=representation" }), entityPath };
  }
  return { response: emptyResponse(204, { ...location, Location: location["OData-EntityId"] }), entityPath };
}

function count(ctx: WebApiContext, kind: RequestKind): void {
  ctx.counters.byKind[kind] += 1;
}

function wrote(ctx: WebApiContext, result: WriteResult): void {
  ctx.counters.recordsWritten += 1;
  if (!result.changed) ctx.counters.noopWrites += 1;
}

function checkIfMatch(request: SimRequest, row: Row): void {
  const ifMatch = header(request, "if-match");
  if (ifMatch && ifMatch !== "*" && ifMatch !== etagOf(row)) {
    throw new SimError(412, DV.versionMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
  }
}

/** `{ "@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": "..." }` -> entity set and id. */
function entityReference(ctx: WebApiContext, value: unknown, name: string): { entitySet: string; id: string } {
  const ref = value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  const type = typeof ref?.["@odata.type"] === "string" ? (ref["@odata.type"] as string).replace(/^#?Microsoft\.Dynamics\.CRM\./, "") : undefined;
  const def = ctx.store.definitions().find((d) => d.logicalName === type);
  const id = def ? ref?.[def.primaryIdAttribute] : undefined;
  if (!def || typeof id !== "string" || !isGuid(id)) {
    throw new SimError(400, DV.badRequest, `The ${name} parameter must be an entity reference with @odata.type and its primary key.`);
  }
  return { entitySet: def.entitySetName, id };
}

/** `POST Merge` (unbound action): https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/merge */
function merge(ctx: WebApiContext, request: SimRequest, options: OperationOptions): OperationResult {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(request.body || "{}") as Record<string, unknown>;
  } catch {
    throw new SimError(400, DV.badRequest, "The request body is not valid JSON.");
  }
  const target = entityReference(ctx, body.Target, "Target");
  const subordinate = entityReference(ctx, body.Subordinate, "Subordinate");
  if (target.entitySet !== subordinate.entitySet) throw new SimError(400, DV.badRequest, "Merge needs two records of the same table.");
  const content = body.UpdateContent && typeof body.UpdateContent === "object" ? (body.UpdateContent as Record<string, unknown>) : {};
  const updates = Object.fromEntries(Object.entries(content).filter(([name]) => !name.includes("@")));
  count(ctx, "update");
  ctx.store.merge(target.entitySet, target.id, subordinate.id, updates, options.journal);
  ctx.counters.recordsWritten += 2;
  return { response: emptyResponse(204) };
}

async function execute(ctx: WebApiContext, request: SimRequest, options: OperationOptions): Promise<OperationResult> {
  if (request.path === "Merge" && request.method.toUpperCase() === "POST") return merge(ctx, request, options);
  const metadata = handleMetadata(ctx.baseUrl, ctx.store.definitions(), request);
  if (metadata) {
    count(ctx, "schema");
    return { response: metadata };
  }
  const target = parseTarget(ctx, request.path, options.contentIds);
  const { entitySet } = target;
  const store = ctx.store;
  const method = request.method.toUpperCase();
  const single = target.id !== undefined || target.key !== undefined;

  if (method === "GET" && !single) {
    const { response, delta } = queryCollection(ctx, entitySet, request);
    count(ctx, delta ? "delta" : "get");
    return { response };
  }
  if (method === "GET") {
    count(ctx, "get");
    const id = resolveId(ctx, target);
    const row = id ? store.get(entitySet, id) : undefined;
    if (!row) throw notFound(entitySet, id ?? "(alternate key)");
    if (header(request, "if-none-match") === etagOf(row)) return { response: emptyResponse(304) };
    const select = selectOf(ctx, entitySet, request);
    const body = { "@odata.context": `${contextUrl(ctx, entitySet, select)}/$entity`, ...shapeRow(row, store.idField(entitySet), select) };
    return { response: jsonResponse(200, body, { ETag: etagOf(row) }) };
  }
  if (method === "POST" && !single) {
    count(ctx, "create");
    const result = store.insert(entitySet, parseBody(ctx, entitySet, request.body, options.contentIds), undefined, options.journal);
    wrote(ctx, result);
    return writeResponse(ctx, request, entitySet, result, method);
  }
  if (method === "PATCH" && single) {
    const values = parseBody(ctx, entitySet, request.body, options.contentIds);
    const id = resolveId(ctx, target);
    const existing = id ? store.get(entitySet, id) : undefined;
    let result: WriteResult;
    if (existing && id) {
      count(ctx, target.key ? "upsert" : "update");
      if (header(request, "if-none-match") === "*") throw new SimError(412, DV.duplicateKey, "A record with matching key values already exists.");
      checkIfMatch(request, existing);
      result = store.update(entitySet, id, values, options.journal);
    } else {
      count(ctx, "upsert");
      if (header(request, "if-match")) throw notFound(entitySet, target.id ?? "(alternate key)");
      result = store.insert(entitySet, { ...values, ...target.key }, target.id, options.journal);
    }
    wrote(ctx, result);
    return writeResponse(ctx, request, entitySet, result, method);
  }
  if (method === "DELETE" && single) {
    count(ctx, "delete");
    const id = resolveId(ctx, target);
    const existing = id ? store.get(entitySet, id) : undefined;
    if (!existing || !id) throw notFound(entitySet, target.id ?? "(alternate key)");
    checkIfMatch(request, existing);
    store.remove(entitySet, id, options.journal);
    ctx.counters.recordsWritten += 1;
    return { response: emptyResponse(204) };
  }
  throw new SimError(405, DV.badRequest, `${method} is not supported on this resource.`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one operation; Dataverse errors become their JSON responses, never throws. */
export async function handleOperation(ctx: WebApiContext, request: SimRequest, options: OperationOptions = {}): Promise<OperationResult> {
  if (ctx.perRecordMs > 0) await sleep(ctx.perRecordMs);
  try {
    return await execute(ctx, request, options);
  } catch (error) {
    if (error instanceof SimError) return { response: error.toResponse() };
    return { response: dvError(500, DV.serverError, "Unexpected error in the simulator.") };
  }
}

/** `GET WhoAmI`, which clients use as a cheap connectivity check. */
export function whoAmI(): SimResponse {
  return jsonResponse(200, {
    BusinessUnitId: "00000000-0000-0000-0000-0000000000b1",
    UserId: "00000000-0000-0000-0000-0000000000c1",
    OrganizationId: "00000000-0000-0000-0000-0000000000d1",
  });
}
