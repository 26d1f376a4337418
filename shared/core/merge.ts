/**
 * The field-level three-way merge of one pair: each mapped field's values on both sides
 * against the baseline, with the field's owner deciding real conflicts.
 */
import { MappingError } from "../errors.js";
import { sameValue } from "./canonical.js";
import { type CompiledField, lookupReadColumn } from "./compile.js";
import { mapValue } from "./mapping.js";
import { sameId } from "./matching.js";
import { getPath, holdsPath } from "./paths.js";
import type { PlanContext } from "./planTypes.js";
import { type FieldConflict, otherSide, type ResolvedConflict, type Scalar, type Side, type SideRecord } from "./types.js";

export type Known = { readonly known: true; readonly value: Scalar } | { readonly known: false };
export const UNKNOWN: Known = { known: false };

export interface MergeState {
  readonly writes: Record<Side, Record<string, Scalar>>;
  readonly baseline: Record<string, Scalar>;
  readonly parkedNext: Set<string>;
  readonly parked: FieldConflict[];
  readonly resolved: ResolvedConflict[];
  /** One-way fields whose target had drifted from the master's value and are written back. */
  readonly reasserted: Set<string>;
}

export function mergeBoth(
  f: CompiledField,
  m: Known,
  p: Known,
  hasBase: boolean,
  b: Scalar | undefined,
  records: Record<Side, SideRecord | undefined>,
  state: MergeState,
  keep: () => void,
): void {
  if (!m.known || !p.known) {
    // A change seen on one side while the other's value is unknown: the baseline is dropped,
    // so the change is not mistaken for "unchanged" later and is settled once both are read.
    const seen = m.known ? m : p;
    if (!seen.known || !hasBase || sameValue(seen.value, b)) keep();
    return;
  }
  if (sameValue(m.value, p.value)) {
    state.baseline[f.key] = m.value;
    return;
  }
  const take = (winner: Side) => {
    const value = winner === "meander" ? m.value : p.value;
    state.writes[otherSide(winner)][f.key] = value;
    state.baseline[f.key] = value;
  };
  if (hasBase && (sameValue(m.value, b) || sameValue(p.value, b))) {
    take(sameValue(m.value, b) ? "portal" : "meander");
    return;
  }
  if (f.owner === "manual") {
    // The baseline is left unset: then an "unchanged" side's value counts as unknown and is
    // never overwritten, even where the stored link does not keep the `parked` list.
    state.parked.push({ field: f.key, base: b, meander: m.value, portal: p.value });
    state.parkedNext.add(f.key);
    return;
  }
  const winner = f.owner === "newest" ? newer(records.meander, records.portal) : f.owner;
  state.resolved.push({ field: f.key, base: b, meander: m.value, portal: p.value, winner, owner: f.owner });
  take(winner);
}

/** Ties (and missing times) go to the portal: the member register. */
function newer(meander: SideRecord | undefined, portal: SideRecord | undefined): Side {
  const time = (r: SideRecord | undefined) => {
    const t = r?.modifiedOn ? Date.parse(r.modifiedOn) : Number.NaN;
    return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
  };
  return time(meander) > time(portal) ? "meander" : "portal";
}

/** A one-way field: the source's value flows when it changed; the target's own edits are not read back. */
export function mergeOneWay(
  f: CompiledField,
  s: Known,
  b: Scalar | undefined,
  records: Record<Side, SideRecord | undefined>,
  state: MergeState,
  keep: () => void,
  context: PlanContext,
): void {
  if (!s.known) {
    keep();
    return;
  }
  state.baseline[f.key] = s.value;
  const target = otherSide(f.sources[0]!);
  const record = records[target];
  if (b !== undefined && sameValue(s.value, b)) {
    // The master did not change it. The other side is not a source of this field, so a value
    // it holds that differs is drift (an edit where it may not be edited): put it back.
    // Only a value the read returned counts; a column a read left out is not drift.
    const held = record && holdsPath(record.data, target === "meander" ? f.meanderPath : f.lookup ? lookupReadColumn(f.portalField) : f.portalField);
    // A fingerprinted baseline stands in for a value no side showed (core/hashedPlan.ts): nothing to put back then.
    const opaque = typeof s.value === "string" && s.value.startsWith("\u0000");
    if (held && !opaque && !targetHolds(f, target, record, s.value, context)) {
      state.writes[target][f.key] = s.value;
      state.reasserted.add(f.key);
    }
    return;
  }
  if (record && targetHolds(f, target, record, s.value, context)) return;
  state.writes[target][f.key] = s.value;
}

/** Whether the target already holds what we would write (first coupling, or a source change that is already there). */
function targetHolds(f: CompiledField, target: Side, record: SideRecord, value: Scalar, context: PlanContext): boolean {
  if (target === "meander") return sameValue(asScalarOrUndefined(getPath(record.data, f.meanderPath)), value);
  if (f.lookup) {
    const expected = value === null ? null : context.lookups?.get(String(value));
    const actual = record.data[lookupReadColumn(f.portalField)] ?? null;
    return expected === null ? actual === null : sameId(actual, expected);
  }
  try {
    return sameValue(asScalarOrUndefined(record.data[f.portalField]), asScalarOrUndefined(mapValue(value, f.toPortal!)));
  } catch (error) {
    if (error instanceof MappingError) return false;
    throw error;
  }
}

const asScalarOrUndefined = (v: unknown): Scalar | undefined =>
  v === "" ? null : v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;
