/**
 * Value transforms named in field mappings. Each one normalises: applied twice it gives
 * the same result as applied once, which is what lets canonical values be compared with ===.
 * A value a transform cannot convert throws TransformFailure; the caller turns it into a
 * MappingError that names the field (never the value).
 */
import type { TransformName } from "./types.js";

export class TransformFailure extends Error {
  constructor(readonly transform: TransformName) {
    super(`cannot apply transform ${transform}`);
  }
}

export const DEFAULT_COUNTRY_CODE = "47";

/** Formatting people put in phone numbers: spaces (also no-break), dashes, dots, slashes, brackets. */
const PHONE_NOISE = /[\s\u00a0\-./()]/g;

/** E.164 ("+4791234567"). Norwegian national numbers are 8 digits; other countries must carry "+CC" or "00CC". */
export function toE164(value: unknown, defaultCountry = DEFAULT_COUNTRY_CODE): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const compact = String(value).trim().replace(PHONE_NOISE, "");
  let digits: string;
  if (compact.startsWith("+")) digits = compact.slice(1);
  else if (compact.startsWith("00")) digits = compact.slice(2);
  else if (/^\d{8}$/.test(compact)) digits = defaultCountry + compact;
  else return undefined;
  if (!/^[1-9]\d{6,14}$/.test(digits)) return undefined;
  if (digits.startsWith("47") && digits.length !== 10) return undefined;
  return `+${digits}`;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The calendar date as written ("2024-03-05T23:30:00-01:00" is the 5th): a date-only column means the day the person entered. */
export function toDateOnly(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value !== "string") return undefined;
  const match = ISO_DATE.exec(value.trim());
  if (!match) return undefined;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return undefined;
  return `${y}-${m}-${d}`;
}

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** Numbers, also as text with a decimal comma ("1,5": Norwegian input). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value + 0 : undefined;
  if (typeof value !== "string") return undefined;
  let text = value.trim().replace(/[\s\u00a0]/g, "");
  if (/^[+-]?\d*,\d+$/.test(text)) text = text.replace(",", ".");
  if (!NUMBER_TEXT.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n + 0 : undefined;
}

const TRUE_TEXT = new Set(["true", "1", "yes", "ja", "y", "j"]);
const FALSE_TEXT = new Set(["false", "0", "no", "nei", "n"]);

export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== "string") return undefined;
  const text = value.trim().toLowerCase();
  if (TRUE_TEXT.has(text)) return true;
  if (FALSE_TEXT.has(text)) return false;
  return undefined;
}

/** Text transforms leave non-text alone: a number in a trimmed column is not an error. */
const onText = (f: (s: string) => string) => (value: unknown) => (typeof value === "string" ? f(value) : value);

const strict =
  (name: TransformName, f: (value: unknown) => unknown) =>
  (value: unknown): unknown => {
    const result = f(value);
    if (result === undefined) throw new TransformFailure(name);
    return result;
  };

export const TRANSFORMS: Readonly<Record<TransformName, (value: unknown) => unknown>> = {
  trim: onText((s) => s.trim()),
  lowercase: onText((s) => s.toLowerCase()),
  uppercase: onText((s) => s.toUpperCase()),
  phone: strict("phone", (v) => toE164(v)),
  dateOnly: strict("dateOnly", toDateOnly),
  number: strict("number", toNumber),
  boolean: strict("boolean", toBoolean),
};

export const TRANSFORM_NAMES = Object.keys(TRANSFORMS) as [TransformName, ...TransformName[]];

export const transformList = (t: TransformName | readonly TransformName[] | undefined): readonly TransformName[] =>
  t === undefined ? [] : typeof t === "string" ? [t] : t;

/** Applies the transforms in list order. Throws TransformFailure. */
export function applyTransforms(value: unknown, transforms: TransformName | readonly TransformName[] | undefined): unknown {
  let result = value;
  for (const name of transformList(transforms)) result = TRANSFORMS[name](result);
  return result;
}
