/**
 * OData text for Dataverse: filter literals, GUIDs, alternate-key segments and
 * query chunking. Values are always escaped here, never trusted.
 */
import type { Scalar } from "../../core/types.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: unknown): value is string => typeof value === "string" && GUID.test(value);

/** A string literal for $filter: single quotes doubled (OData ABNF). The client URL-encodes the whole filter. */
export const stringLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Columns holding GUIDs: the primary id and lookups (`_x_value`). Their literals are bare and validated. */
export const isGuidColumn = (field: string, idField: string): boolean => field === idField || /^_\w+_value$/.test(field);

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Column names come from configs, not users, but a typo must not become OData syntax. */
export function assertColumn(field: string): string {
  if (!COLUMN.test(field)) throw new Error(`not a column name: ${field}`);
  return field;
}

/**
 * One `field eq value` clause, or undefined when the value cannot match
 * (a malformed GUID, a non-finite number): such values are dropped, not sent.
 */
export function equalsClause(field: string, value: Scalar, guidColumn: boolean): string | undefined {
  assertColumn(field);
  if (value === null) return `${field} eq null`;
  if (guidColumn) return isGuid(value) ? `${field} eq ${value.toLowerCase()}` : undefined;
  if (typeof value === "string") return `${field} eq ${stringLiteral(value)}`;
  if (typeof value === "number") return Number.isFinite(value) ? `${field} eq ${value}` : undefined;
  return `${field} eq ${value}`;
}

/**
 * dynamics-web-api turns a GET whose path (collection and query, without the
 * service root) exceeds 2000 characters into a $batch request. We stay just
 * below it, so a lookup is always one plain GET (composedPath mirrors the
 * client's composition; the integration tests check no $batch appears).
 */
export const CLIENT_PATH_LIMIT = 2000;
export const PATH_BUDGET = 1950;

/** The path dynamics-web-api composes for retrieveMultiple with $select and $filter. */
export function composedPath(collection: string, select: readonly string[] | undefined, filter: string): string {
  const parts: string[] = [];
  if (select?.length) parts.push(`$select=${select.join(",")}`);
  parts.push(`$filter=${encodeURIComponent(filter)}`);
  return `${collection}?${parts.join("&")}`;
}

/**
 * Splits clauses into `or` filters whose composed path fits the budget.
 * A single clause longer than the budget still gets its own filter (the client
 * then sends it as a batch; correct, only slower).
 */
export function chunkFilters(collection: string, select: readonly string[] | undefined, clauses: readonly string[], budget = PATH_BUDGET): string[] {
  const base = composedPath(collection, select, "").length;
  const filters: string[] = [];
  let current: string[] = [];
  let length = base;
  for (const clause of clauses) {
    const cost = encodeURIComponent(clause).length + (current.length ? encodeURIComponent(" or ").length : 0);
    if (current.length && length + cost > budget) {
      filters.push(current.join(" or "));
      current = [];
      length = base;
    }
    length += current.length ? cost : encodeURIComponent(clause).length;
    current.push(clause);
  }
  if (current.length) filters.push(current.join(" or "));
  return filters;
}

/**
 * Dataverse documents that alternate-key values containing / < > * % & : \ ? +
 * fail in by-key URLs even when encoded; the client also splits keys on commas
 * and rewrites double quotes. Only letters, digits and - _ . are let through.
 */
const SAFE_KEY_VALUE = /^[\p{L}\p{N}_.-]{1,100}$/u;

export const isSafeKeyValue = (value: string): boolean => SAFE_KEY_VALUE.test(value);

/** `field='value'` for a by-key URL, or undefined when the value is not safe there. */
export function alternateKeySegment(field: string, value: string): string | undefined {
  if (!COLUMN.test(field) || !isSafeKeyValue(value)) return undefined;
  return `${field}=${stringLiteral(encodeURIComponent(value))}`;
}
