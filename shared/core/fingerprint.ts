/**
 * Baseline fingerprints: a link stores, per field, a keyed hash of the value both sides last
 * agreed on instead of the value itself, so the sync's own state holds no personal data.
 * The merge only asks "is this side's value still the agreed one?", and a side's current
 * value is in hand whenever that question comes up, so a hash answers it.
 *
 * HMAC-SHA-256 with a secret key (an unkeyed hash of a phone number or a name is reversed by
 * trying them all), truncated to 96 bits: a false "unchanged" needs a collision within one
 * field of one record, about 2^-96 per comparison.
 */
import { createHmac } from "node:crypto";
import type { Canonical, Scalar } from "./types.js";

/** Stored form: `h:` and 16 base64url characters (96 bits). */
const FINGERPRINT = /^h:[A-Za-z0-9_-]{16}$/;
const BYTES = 12;

/** Shortest key accepted: 32 characters (a base64 of 24 random bytes or more). */
export const MIN_KEY_LENGTH = 32;

export type Fingerprinter = (configId: string, field: string, value: Scalar) => string;

export function createFingerprinter(key: string): Fingerprinter {
  if (key.length < MIN_KEY_LENGTH) throw new RangeError(`the baseline key must be at least ${MIN_KEY_LENGTH} characters`);
  // configId and field name are part of the message, so equal values in different fields
  // or configs do not share a fingerprint (nothing can be learnt by comparing rows).
  // The key as bytes once: a string key is encoded again by every createHmac (a third of its cost).
  const secret = Buffer.from(key, "utf8");
  return (configId, field, value) =>
    `h:${createHmac("sha256", secret)
      .update(JSON.stringify([configId, field, value ?? null]))
      .digest()
      .subarray(0, BYTES)
      .toString("base64url")}`;
}

export const isFingerprint = (value: unknown): value is string => typeof value === "string" && FINGERPRINT.test(value);

/** True when some field still holds a plain value (a link written before fingerprints). */
export const hasPlainValues = (baseline: Canonical): boolean => Object.values(baseline).some((v) => !isFingerprint(v));

/** Every plain value replaced by its fingerprint; fingerprints kept as they are. */
export function fingerprintBaseline(fingerprint: Fingerprinter, configId: string, baseline: Canonical): Canonical {
  const out: Record<string, Scalar> = {};
  for (const [field, value] of Object.entries(baseline)) out[field] = isFingerprint(value) ? value : fingerprint(configId, field, value);
  return out;
}
