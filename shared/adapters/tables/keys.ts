/**
 * Keys for Table Storage. PartitionKey and RowKey must not hold `/ \ # ?` or
 * control characters and must stay under 1 KiB, while ids from either system are
 * arbitrary strings. Ids are escaped reversibly: `[A-Za-z0-9_.-]` stay as they are
 * (GUIDs and member numbers remain readable in Storage Explorer), every other UTF-8
 * byte becomes `!XX`. `!` rather than `%` because `%` in keys is mishandled by some
 * URL layers on the way to the service.
 */
import { createHash } from "node:crypto";
import { RecordError } from "../../errors.js";

const SAFE = /^[A-Za-z0-9_.-]$/;

/** Azure's limit is 1 KiB per key (UTF-16): 512 characters. */
export const MAX_KEY_CHARS = 512;

export function encodeKey(id: string): string {
  let out = "";
  for (const char of id) {
    if (SAFE.test(char)) out += char;
    else for (const byte of Buffer.from(char, "utf8")) out += `!${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function decodeKey(key: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < key.length; i++) {
    if (key[i] === "!") {
      bytes.push(Number.parseInt(key.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(key.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Builds a key from parts, rejecting one that would exceed the service's limit (naming the length, not the id). */
export function key(...parts: string[]): string {
  const k = parts.join("");
  if (k.length > MAX_KEY_CHARS) {
    throw new RecordError("TABLES_KEY_TOO_LONG", `table key of ${k.length} characters exceeds ${MAX_KEY_CHARS}`);
  }
  return k;
}

/** Stable bucket of an id in [0, buckets): spreads one config's rows over partitions. */
export function bucketOf(id: string, buckets: number): number {
  if (buckets <= 1) return 0;
  return createHash("sha256").update(id).digest().readUInt32BE(0) % buckets;
}

/** The greatest JavaScript Date in ms; inverted times count down from it so newer sorts first. */
const MAX_DATE_MS = 8_640_000_000_000_000;

export const invertedTime = (ms: number): string => String(MAX_DATE_MS - ms).padStart(16, "0");
export const timeFromInverted = (inverted: string): number => MAX_DATE_MS - Number(inverted.slice(0, 16));
