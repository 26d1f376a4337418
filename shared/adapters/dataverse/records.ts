/** Dataverse rows as the core sees them, and change-feed cursors. */
import type { SideRecord } from "../../core/types.js";

/**
 * dynamics-web-api revives ISO date strings into Dates (dropping the offset it
 * does not need: Dataverse sends UTC). We hand the core strings again, in the
 * form Dataverse sent them (no milliseconds), so values compare with baselines.
 */
const isoString = (date: Date): string => {
  const iso = date.toISOString();
  // Joined, not concatenated: one flat string instead of a rope over the longer one (a first run holds every changed row's).
  return iso.endsWith(".000Z") ? [iso.slice(0, 19), "Z"].join("") : iso;
};

function plain(value: unknown): unknown {
  if (value instanceof Date) return isoString(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") return columns(value as Record<string, unknown>);
  return value;
}

/** Columns without OData annotations (`@odata.etag`, `x@OData.Community...`). */
export function columns(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.includes("@") || key.startsWith("oData")) continue;
    data[key] = plain(value);
  }
  return data;
}

export function toSideRecord(row: Readonly<Record<string, unknown>>, idField: string): SideRecord {
  const id = row[idField];
  if (typeof id !== "string") throw new Error(`row without ${idField}`);
  const etag = row["@odata.etag"];
  const data = columns(row);
  // The same string as the column's (the `newest` policy reads it from here).
  const modifiedOn = data["modifiedon"];
  return {
    id,
    ...(typeof etag === "string" ? { version: etag } : {}),
    ...(typeof modifiedOn === "string" && modifiedOn ? { modifiedOn } : {}),
    data,
  };
}

/** A `$deletedEntity` row of a delta response: `{ "@odata.context": ".../$deletedEntity", id, reason }`. */
export function deletedId(row: Readonly<Record<string, unknown>>): string | undefined {
  const context = row["@odata.context"];
  const isDeleted = (typeof context === "string" && context.endsWith("$deletedEntity")) || row["reason"] === "deleted";
  return isDeleted && typeof row["id"] === "string" ? row["id"] : undefined;
}

/**
 * Cursors are stored relative to the Web API root (`contacts?$select=...&$deltatoken=...`),
 * so they survive a change of host name or of the local stack's port.
 */
export function toCursor(link: string, apiRoot: string): string {
  if (link.startsWith(apiRoot)) return link.slice(apiRoot.length);
  const marker = "/api/data/v";
  const at = link.indexOf(marker);
  if (at < 0) return link;
  const afterVersion = link.indexOf("/", at + marker.length);
  return afterVersion < 0 ? link : link.slice(afterVersion + 1);
}

/** The absolute link for a stored cursor, or undefined when it is not a cursor of `collection`. */
export function fromCursor(cursor: string, apiRoot: string, collection: string): string | undefined {
  const relative = toCursor(cursor, apiRoot);
  if (!relative.startsWith(`${collection}?`)) return undefined;
  return apiRoot + relative;
}
