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

/** What the field merge decided for one field; the planner gathers the outcomes into the plan. */
export interface FieldOutcome {
  /** Values (canonical) to write, per side. */
  readonly writes?: Partial<Record<Side, Scalar>>;
  /**
   * The field's next baseline: a value both sides now hold, "keep" the stored one (a side's
   * value was not read), or "unset" (a parked conflict: no side may count as unchanged).
   */
  readonly baseline: { readonly value: Scalar } | "keep" | "unset";
  readonly parked?: FieldConflict;
  readonly resolved?: ResolvedConflict;
  /** A one-way field whose target had drifted from the master's value and is written back. */
  readonly reasserted?: true;
}

export interface FieldInput {
  readonly field: CompiledField;
  readonly meander: Known;
  readonly portal: Known;
  /** The stored baseline, when there is one the merge may use (a parked field has none). */
  readonly base: { readonly value: Scalar } | undefined;
  /** The stored baseline as a conflict shows it to a person, also where the merge may not use it. */
  readonly storedBase: Scalar | undefined;
  readonly records: Readonly<Record<Side, SideRecord | undefined>>;
  readonly context: PlanContext;
}

export function mergeField(input: FieldInput): FieldOutcome {
  return input.field.direction === "both" ? mergeBoth(input) : mergeOneWay(input);
}

const KEEP: FieldOutcome = { baseline: "keep" };

function mergeBoth({ field: f, meander: m, portal: p, base, storedBase, records }: FieldInput): FieldOutcome {
  const b = storedBase;
  if (!m.known || !p.known) {
    // A change seen on one side while the other's value is unknown: the baseline is dropped,
    // so the change is not mistaken for "unchanged" later and is settled once both are read.
    const seen = m.known ? m : p;
    return !seen.known || !base || sameValue(seen.value, b) ? KEEP : { baseline: "unset" };
  }
  if (sameValue(m.value, p.value)) return { baseline: { value: m.value } };
  const take = (winner: Side, rest: Partial<FieldOutcome> = {}): FieldOutcome => {
    const value = winner === "meander" ? m.value : p.value;
    return { ...rest, writes: { [otherSide(winner)]: value }, baseline: { value } };
  };
  if (base && (sameValue(m.value, b) || sameValue(p.value, b))) return take(sameValue(m.value, b) ? "portal" : "meander");
  if (f.owner === "manual") {
    // The baseline is left unset: then an "unchanged" side's value counts as unknown and is
    // never overwritten, even where the stored link does not keep the `parked` list.
    return { baseline: "unset", parked: { field: f.key, base: b, meander: m.value, portal: p.value } };
  }
  const winner = f.owner === "newest" ? newer(records.meander, records.portal) : f.owner;
  return take(winner, { resolved: { field: f.key, base: b, meander: m.value, portal: p.value, winner, owner: f.owner } });
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
function mergeOneWay({ field: f, meander, portal, base, records, context }: FieldInput): FieldOutcome {
  const source = f.sources[0]!;
  const s = source === "meander" ? meander : portal;
  if (!s.known) return KEEP;
  const next = { baseline: { value: s.value } } as const;
  const b = base?.value;
  const target = otherSide(source);
  const record = records[target];
  if (b !== undefined && sameValue(s.value, b)) {
    // The master did not change it. The other side is not a source of this field, so a value
    // it holds that differs is drift (an edit where it may not be edited): put it back.
    // Only a value the read returned counts; a column a read left out is not drift.
    const held = record && holdsPath(record.data, target === "meander" ? f.meanderPath : f.lookup ? lookupReadColumn(f.portalField) : f.portalField);
    // A fingerprinted baseline stands in for a value no side showed (core/hashedPlan.ts): nothing to put back then.
    const opaque = typeof s.value === "string" && s.value.startsWith("\u0000");
    if (held && !opaque && !targetHolds(f, target, record, s.value, context)) return { ...next, writes: { [target]: s.value }, reasserted: true };
    return next;
  }
  if (record && targetHolds(f, target, record, s.value, context)) return next;
  return { ...next, writes: { [target]: s.value } };
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
