/**
 * Entity property helpers. A string property holds at most 64 KiB (32 Ki UTF-16
 * units) and an entity at most 1 MiB, so long text (JSON, delta links) is split
 * over `name`, `name_1`, `name_2`... with the count in `name_parts`.
 */
import { RecordError } from "../../errors.js";

export const CHUNK_CHARS = 30_000;
/** Longest text one entity may carry in split properties: well under the 1 MiB entity limit. */
export const MAX_TEXT_CHARS = 12 * CHUNK_CHARS;

export function putText(entity: Record<string, unknown>, name: string, text: string | undefined): void {
  if (text === undefined) return;
  if (text.length > MAX_TEXT_CHARS) {
    throw new RecordError("TABLES_PROPERTY_TOO_LARGE", `property ${name} of ${text.length} characters exceeds ${MAX_TEXT_CHARS}`);
  }
  let part = 0;
  for (let start = 0; start < text.length || part === 0; part++) {
    let end = Math.min(start + CHUNK_CHARS, text.length);
    // Never split a surrogate pair: the service would store two broken halves.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    entity[part === 0 ? name : `${name}_${part}`] = text.slice(start, end);
    start = end;
  }
  if (part > 1) entity[`${name}_parts`] = part;
}

export function getText(entity: Record<string, unknown>, name: string): string | undefined {
  const first = entity[name];
  if (typeof first !== "string") return undefined;
  const parts = typeof entity[`${name}_parts`] === "number" ? (entity[`${name}_parts`] as number) : 1;
  let text = first;
  for (let i = 1; i < parts; i++) text += String(entity[`${name}_${i}`] ?? "");
  return text;
}

export const putJson = (entity: Record<string, unknown>, name: string, value: unknown): void =>
  putText(entity, name, value === undefined ? undefined : JSON.stringify(value));

export function getJson<T>(entity: Record<string, unknown>, name: string): T | undefined {
  const text = getText(entity, name);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** Optional scalar columns: `undefined` is left out rather than stored as null. */
export function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
export const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
