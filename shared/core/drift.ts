/**
 * Whether planning a changed record needs the current values of its linked partner that did
 * not change. The planner takes an unchanged partner's values to be the baseline's; that is
 * all it needs except where the changed record holds, in a field the partner is master of,
 * something other than the baseline: that drift is put back from the master's value
 * (core/merge.ts, mergeOneWay), and a fingerprinted baseline (fingerprint.ts) is not a value.
 * A link with a field that has no baseline (parked, or newly mapped) needs the partner too.
 * So the partner is read by id only for such records (shared/sync/pairing.ts; a portal partner
 * in the same read as the unit's narrow portal changes, shared/sync/fullReads.ts), and the plan
 * is the same as if it had been read (test/core/drift.test.ts). The record itself is always
 * complete here: a narrow one is read in full before drift is decided for it.
 */
import type { CompiledConfig, CompiledField } from "./compile.js";
import type { Fingerprinter } from "./fingerprint.js";
import { isFingerprint } from "./fingerprint.js";
import { getPath, holdsPath } from "./paths.js";
import { type Link, otherSide, type Scalar, type Side, type SideRecord } from "./types.js";

const scalar = (v: unknown): Scalar | undefined =>
  v === "" ? null : v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;

export function needsPartnerValues(compiled: CompiledConfig, side: Side, record: SideRecord, link: Link, fingerprint?: Fingerprinter): boolean {
  const partner = otherSide(side);
  const mastered = compiled.fields.filter((f) => f.direction !== "both" && f.sources.includes(partner));
  if (mastered.length === 0) return false;
  if (link.parked?.length || compiled.fields.some((f) => !Object.hasOwn(link.baseline, f.key))) return true;
  return mastered.some((f) => drifted(compiled, f, side, record, link.baseline[f.key] ?? null, fingerprint));
}

/** Whether the record holds something else than the baseline in a field it is the target of. */
function drifted(compiled: CompiledConfig, f: CompiledField, side: Side, record: SideRecord, base: Scalar, fingerprint?: Fingerprinter): boolean {
  const path = side === "meander" ? f.meanderPath : f.portalField;
  // A column the read left out is not drift (mergeOneWay does not put it back either).
  if (!holdsPath(record.data, path)) return false;
  if (f.lookup) return true;
  const raw = scalar(side === "meander" ? getPath(record.data, path) : record.data[path]);
  if (raw === undefined) return true;
  // The baseline is in Meander's space; a portal value maps back through the field's value map.
  const candidates: Scalar[] = [raw];
  const valueMap = side === "portal" ? f.toPortal?.valueMap : undefined;
  if (valueMap) for (const [key, value] of Object.entries(valueMap)) if (value === raw) candidates.push(key);
  const same = (c: Scalar) =>
    isFingerprint(base) ? fingerprint !== undefined && fingerprint(compiled.config.id, f.key, c) === base : c === base || (c == null && base == null);
  return !candidates.some(same);
}
