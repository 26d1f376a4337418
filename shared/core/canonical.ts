/**
 * Canonical values: each mapped field in Meander's value space, after its transforms.
 * Both sides' records are brought into this one space, so the planner compares values
 * with === and formatting the transforms normalise ("912 34 567" / "+4791234567") is equal.
 */
import { MappingError, RecordError } from "../errors.js";
import type { CompiledConfig, CompiledField } from "./compile.js";
import { applyFieldMappings, mapValue } from "./mapping.js";
import { getPath, setPath } from "./paths.js";
import type { Canonical, FieldMapping, Scalar } from "./types.js";

export const sameValue = (a: Scalar | undefined, b: Scalar | undefined): boolean => a === b || (a == null && b == null);

function asScalar(value: unknown, field: string, recordId: string | undefined): Scalar {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw new MappingError(field, "value is not a text, number or boolean", recordId);
}

/** Values of the fields Meander is a source of (`both` and `toPortal`). */
export function canonicalFromMeander(compiled: CompiledConfig, data: Readonly<Record<string, unknown>>, recordId?: string): Canonical {
  const out: Record<string, Scalar> = {};
  for (const f of compiled.fields) {
    if (!f.meanderCanonical) continue;
    const value = asScalar(mapValue(getPath(data, f.meanderPath), f.meanderCanonical, { recordId }), f.meanderPath, recordId);
    const valueMap = f.toPortal?.valueMap;
    // Checked here, not only when writing, so a record that can never be written fails early and whole.
    if (valueMap && value !== null && !Object.hasOwn(valueMap, String(value))) throw new MappingError(f.meanderPath, "value is not in the value map", recordId);
    out[f.key] = value;
  }
  return out;
}

/**
 * One value given in Meander's space (a person's conflict resolution) brought to canonical
 * form, so "912 34 567" resolves the same as "+4791234567". Throws MappingError when the
 * field cannot hold it.
 */
export function canonicalValue(compiled: CompiledConfig, key: string, value: unknown, recordId?: string): Scalar {
  const f = compiled.fieldByKey.get(key);
  if (!f) throw new MappingError(key, "not a mapped field of this config", recordId);
  const mapping = f.meanderCanonical ?? { source: f.meanderPath, target: f.key, transform: f.transforms, required: f.required };
  const result = asScalar(mapValue(value, mapping, { recordId }), f.meanderPath, recordId);
  const valueMap = f.toPortal?.valueMap;
  if (valueMap && result !== null && !Object.hasOwn(valueMap, String(result))) throw new MappingError(f.meanderPath, "value is not in the value map", recordId);
  return result;
}

/** Values of the fields the portal is a source of (`both` and `toMeander`). */
export function canonicalFromPortal(compiled: CompiledConfig, data: Readonly<Record<string, unknown>>, recordId?: string): Canonical {
  const out: Record<string, Scalar> = {};
  for (const f of compiled.fields) {
    if (!f.toMeander) continue;
    out[f.key] = asScalar(mapValue(data[f.portalField], f.toMeander, { recordId }), f.portalField, recordId);
  }
  return out;
}

export interface PayloadOptions {
  /** Meander id of a referenced record -> its partner's portal id (lookup fields). */
  readonly lookups?: ReadonlyMap<string, string>;
  readonly recordId?: string;
}

function lookupValue(f: CompiledField, value: Scalar, options: PayloadOptions): Scalar {
  if (value === null) return null;
  const portalId = options.lookups?.get(String(value));
  if (!portalId)
    throw new RecordError(
      "LOOKUP_UNRESOLVED",
      `${options.recordId ? `record ${options.recordId}: ` : ""}field ${f.meanderPath}: the referenced record has no portal partner yet`,
    );
  return `/${f.lookup!.entitySet}(${portalId})`;
}

/**
 * The portal columns for `keys`, from canonical values, through the toPortal mappings
 * (value maps; lookups as @odata.bind). Columns are flat: a target such as
 * `hlf_contactid@odata.bind` is one key, not a dot path.
 */
export function portalPayload(compiled: CompiledConfig, canonical: Canonical, keys: readonly string[], options: PayloadOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const f = compiled.fieldByKey.get(key);
    if (!f?.toPortal) continue;
    const value = canonical[key] ?? null;
    out[f.toPortal.target] = f.lookup ? lookupValue(f, value, options) : mapValue(value, f.toPortal, { recordId: options.recordId });
  }
  return out;
}

/** The Meander shape for `keys`: canonical values are Meander values, placed at their dot paths. */
export function meanderPayload(compiled: CompiledConfig, canonical: Canonical, keys: readonly string[], options: PayloadOptions = {}): Record<string, unknown> {
  const mappings: FieldMapping[] = [];
  const source: Record<string, unknown> = {};
  for (const key of keys) {
    const f = compiled.fieldByKey.get(key);
    if (!f?.toMeander) continue;
    setPath(source, f.meanderPath, canonical[key] ?? null);
    mappings.push({ source: f.meanderPath, target: f.meanderPath });
  }
  return applyFieldMappings(source, mappings, { recordId: options.recordId });
}
