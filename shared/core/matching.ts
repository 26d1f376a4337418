/**
 * Finding a record's partner on the other side: by link field, then by match keys.
 * Never a guess: several candidates is "ambiguous", and a candidate already linked
 * elsewhere is never offered (a record never gets two partners).
 */
import type { CompiledConfig } from "./compile.js";
import type { KeyNormalizer, ScopeFilter } from "./configTypes.js";
import { isMissing } from "./mapping.js";
import { getPath } from "./paths.js";
import { toE164 } from "./transforms.js";
import { otherSide, type Side, type SideRecord } from "./types.js";

export type MatchResult =
  | { readonly kind: "none" }
  | {
      readonly kind: "one";
      readonly partner: SideRecord;
      readonly by: string;
      /** False when the key that found it may not couple on its own: a person confirms (`confirmMatch`). */
      readonly autoCouple: boolean;
    }
  | { readonly kind: "ambiguous"; readonly candidates: string[]; readonly by: string };

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value.trim() : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;

/** The comparable form of a key value; undefined when there is no usable key. */
export function normalizeKey(kind: KeyNormalizer, value: unknown): string | undefined {
  const t = text(value);
  if (!t) return undefined;
  switch (kind) {
    case "email":
      return t.toLowerCase();
    case "phone":
      return toE164(t);
    case "memberNumber":
      return t.replace(/^0+/, "") || undefined;
    case "none":
      return t;
  }
}

/** Raw values to query the other side with, which stores keys as people typed them. */
export function keyVariants(kind: KeyNormalizer, value: unknown): string[] {
  const normal = normalizeKey(kind, value);
  if (normal === undefined) return [];
  const variants = [text(value) ?? normal, normal];
  if (kind === "memberNumber" && /^\d+$/.test(normal)) for (const width of [6, 7, 8]) variants.push(normal.padStart(width, "0"));
  if (kind === "phone") {
    const digits = normal.slice(1);
    variants.push(`00${digits}`);
    if (digits.startsWith("47")) {
      const national = digits.slice(2);
      variants.push(
        national,
        `+47 ${national}`,
        `${national.slice(0, 3)} ${national.slice(3, 5)} ${national.slice(5)}`,
        national.replace(/(\d{2})(?=\d)/g, "$1 "),
      );
    }
  }
  return [...new Set(variants)];
}

/** GUIDs compare case-insensitively (Dataverse returns them lower-case, people and other systems may not). */
export function sameId(a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string" || a === "" || b === "") return false;
  return a === b || a.toLowerCase() === b.toLowerCase();
}

export function inScope(filters: readonly ScopeFilter[], data: Readonly<Record<string, unknown>>): boolean {
  return filters.every((f) => {
    const value = getPath(data, f.field);
    if (f.op === "notNull") return !isMissing(value);
    if (f.op === "eq") return value === f.value;
    if (f.op === "notIn") return !f.values.some((v) => v === value);
    return f.values.some((v) => v === value);
  });
}

/** Whether an unlinked record may take part in matching at all (matched, offered as a candidate, or created from). */
export const matchable = (compiled: CompiledConfig, side: Side, record: SideRecord): boolean => inScope(compiled.config[side].matchScope ?? [], record.data);

export const linkFieldOf = (compiled: CompiledConfig, side: Side): string | undefined =>
  side === "meander" ? compiled.config.meander.linkField : compiled.config.portal.linkField;

export function findPartner(
  compiled: CompiledConfig,
  fromSide: Side,
  record: SideRecord,
  candidates: readonly SideRecord[],
  linkedIds: ReadonlySet<string>,
): MatchResult {
  const to = otherSide(fromSide);
  const ownLink = linkFieldOf(compiled, fromSide);
  const theirLink = linkFieldOf(compiled, to);
  const byId = new Map<string, SideRecord>();
  // Only records that may be matched are candidates: an inactive contact (resigned, deceased, merged away) never is.
  for (const c of candidates) if (!linkedIds.has(c.id) && !byId.has(c.id) && matchable(compiled, to, c)) byId.set(c.id, c);
  const pool = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const myRef = ownLink ? getPath(record.data, ownLink) : undefined;
  const theirRef = (c: SideRecord) => (theirLink ? getPath(c.data, theirLink) : undefined);
  const decide = (hits: SideRecord[], by: string, autoCouple = true): MatchResult | undefined =>
    hits.length === 1
      ? { kind: "one", partner: hits[0]!, by, autoCouple }
      : hits.length > 1
        ? { kind: "ambiguous", candidates: hits.map((h) => h.id), by }
        : undefined;

  const linked = decide(
    pool.filter((c) => sameId(c.id, myRef) || sameId(theirRef(c), record.id)),
    "linkField",
  );
  if (linked) return linked;

  // A candidate whose link field names another record belongs to that record, even if our link store lost the pair.
  const free = pool.filter((c) => isMissing(theirRef(c)) || sameId(theirRef(c), record.id));
  for (const key of compiled.config.matchKeys) {
    const [mine, theirs] = fromSide === "meander" ? [key.meander, key.portal] : [key.portal, key.meander];
    const wanted = normalizeKey(key.normalize, getPath(record.data, mine));
    if (wanted === undefined) continue;
    const hit = decide(
      free.filter((c) => normalizeKey(key.normalize, getPath(c.data, theirs)) === wanted),
      key.meander,
      key.autoCouple ?? true,
    );
    if (hit) return hit;
  }
  return { kind: "none" };
}
