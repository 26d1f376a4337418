/**
 * applyFieldMappings: maps one record one way. Pure.
 *
 * Per mapping: read `source` (dot path); a missing value (undefined, null, "" — also text
 * that trims to "") takes `default`, which stands in for the source value and so goes
 * through the transforms and the value map like one; still missing: a `required` field
 * throws, any other becomes null (a cleared field is a real value that syncs). Otherwise
 * the transforms run in list order, then the value map.
 */
import { MappingError } from "../errors.js";
import { getPath, isSafePath, setPath } from "./paths.js";
import { applyTransforms, TransformFailure } from "./transforms.js";
import type { FieldMapping } from "./types.js";

export interface MappingOptions {
  /** Named in errors, so an operator can find the record. */
  readonly recordId?: string;
}

export const isMissing = (value: unknown): value is undefined | null | "" => value === undefined || value === null || value === "";

function transformed(value: unknown, mapping: FieldMapping, options: MappingOptions): unknown {
  if (isMissing(value)) return null;
  try {
    const result = applyTransforms(value, mapping.transform);
    return isMissing(result) ? null : result;
  } catch (error) {
    if (error instanceof TransformFailure) throw new MappingError(mapping.source, `transform ${error.transform} cannot convert the value`, options.recordId);
    throw error;
  }
}

/** Maps one value by one mapping (the per-field step of applyFieldMappings). */
export function mapValue(value: unknown, mapping: FieldMapping, options: MappingOptions = {}): unknown {
  let result = transformed(value, mapping, options);
  if (result === null && mapping.default !== undefined && !isMissing(mapping.default)) result = transformed(mapping.default, mapping, options);
  if (result === null) {
    if (mapping.required) throw new MappingError(mapping.source, "required value is missing", options.recordId);
    return null;
  }
  if (mapping.valueMap) {
    const key = String(result);
    if (!Object.hasOwn(mapping.valueMap, key)) throw new MappingError(mapping.source, "value is not in the value map", options.recordId);
    return mapping.valueMap[key];
  }
  return result;
}

export function applyFieldMappings(source: Record<string, unknown>, mappings: FieldMapping[], options: MappingOptions = {}): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const mapping of mappings) {
    if (!isSafePath(mapping.source)) throw new MappingError(mapping.source, "source is not a valid path", options.recordId);
    if (!isSafePath(mapping.target)) throw new MappingError(mapping.target, "target is not a valid path", options.recordId);
    setPath(target, mapping.target, mapValue(getPath(source, mapping.source), mapping, options));
  }
  return target;
}
