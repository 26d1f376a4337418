/**
 * Turns a validated config into what the planner works with, and enforces the rules
 * that span fields (zod checks each value on its own). Errors are ConfigErrors that
 * name the file and the field path, never a value.
 */
import { ConfigError, MappingError } from "../errors.js";
import type { LookupConfig, SyncConfig } from "./configTypes.js";
import { mapValue } from "./mapping.js";
import { isSafePath } from "./paths.js";
import { applyTransforms, TransformFailure, transformList } from "./transforms.js";
import type { Direction, FieldMapping, Owner, Scalar, Side, TransformName } from "./types.js";

export interface CompiledField {
  /** The Meander path: the key of the field in canonical values and baselines. */
  readonly key: string;
  readonly meanderPath: string;
  readonly portalField: string;
  readonly direction: Direction;
  readonly owner: Owner;
  readonly transforms: readonly TransformName[];
  readonly required: boolean;
  readonly lookup?: LookupConfig;
  /** The sides whose value of this field counts (both for `both`; the one source otherwise). */
  readonly sources: readonly Side[];
  readonly toPortal?: FieldMapping;
  readonly toMeander?: FieldMapping;
  /** Meander value to canonical: the transforms, default and required, without the value map. */
  readonly meanderCanonical?: FieldMapping;
  /**
   * For a field the portal is master of: Meander value to portal value, used only when the
   * sync creates the portal record (a new contact gets the name Meander has; after that the portal decides).
   */
  readonly seedToPortal?: FieldMapping;
  /** The same for a field Meander is master of, when the sync creates the Meander record from the portal. */
  readonly seedToMeander?: FieldMapping;
  /** Whether a single hit on this field as a match key couples on its own (absent: not a match key). */
  readonly autoCouple?: boolean;
}

export interface CompiledConfig {
  readonly config: SyncConfig;
  readonly fields: readonly CompiledField[];
  readonly toPortal: FieldMapping[];
  readonly toMeander: FieldMapping[];
  readonly fieldByKey: ReadonlyMap<string, CompiledField>;
  /** Portal columns a read must select: id, link field, mapped columns (lookups as `_<col>_value`), scope fields. */
  readonly portalColumns: readonly string[];
  /** Unmatched Meander records are created on the portal (else parked as `unmatched` review items). */
  readonly createUnmatched: boolean;
}

export const writesTo = (direction: Direction, side: Side): boolean =>
  direction === "both" || (side === "portal" ? direction === "toPortal" : direction === "toMeander");

const wider = (field: Direction, config: Direction) => config !== "both" && field !== config;

const lookupBind = (portalField: string) => `${portalField}@odata.bind`;
export const lookupReadColumn = (portalField: string) => `_${portalField}_value`;

export function compileConfig(config: SyncConfig, file = `${config.id}.json`): CompiledConfig {
  const fail = (path: string, problem: string): never => {
    throw new ConfigError(file, path, problem);
  };
  checkFieldSet(config, fail);

  const fields = config.fields.map((f, i): CompiledField => {
    const at = `fields[${i}]`;
    const direction = f.direction ?? config.direction;
    const transforms = transformList(f.transform);
    if (wider(direction, config.direction)) fail(`${at}.direction`, `field direction ${direction} goes beyond the config's direction ${config.direction}`);
    if (f.lookup) {
      if (direction !== "toPortal") fail(`${at}.lookup`, "a lookup field flows to Meander; lookups are toPortal only");
      if (f.valueMap || f.default !== undefined || transforms.length > 0) fail(`${at}.lookup`, "a lookup field takes no transform, valueMap or default");
    }
    const flowsBack = direction !== "toPortal";
    if (f.valueMap && flowsBack) checkOneToOne(f.valueMap, `${at}.valueMap`, fail);

    const toPortal: FieldMapping | undefined =
      direction === "toMeander"
        ? undefined
        : {
            source: f.meander,
            target: f.lookup ? lookupBind(f.lookup.navigationProperty ?? f.portal) : f.portal,
            ...(transforms.length ? { transform: transforms } : {}),
            ...(f.valueMap ? { valueMap: f.valueMap } : {}),
            ...(f.default !== undefined ? { default: f.default } : {}),
            ...(f.required ? { required: true } : {}),
          };
    const forward: FieldMapping = { source: f.meander, target: f.portal, transform: transforms, ...(f.valueMap ? { valueMap: f.valueMap } : {}) };
    const toMeander = flowsBack ? returnMapping(f.meander, f.portal, transforms, f.valueMap, f.default, f.required, forward, at, fail) : undefined;
    const meanderCanonical: FieldMapping | undefined = toPortal ? { ...toPortal, target: f.meander, valueMap: undefined } : undefined;
    const seedToPortal: FieldMapping | undefined = toPortal ? undefined : forward;
    const seedToMeander = toMeander || f.lookup ? undefined : seedMapping(f.meander, f.portal, transforms, f.valueMap, forward);
    const matchKey = config.matchKeys.find((k) => k.meander === f.meander);
    if (toPortal && f.default !== undefined) {
      try {
        mapValue(f.default, forward);
      } catch (error) {
        if (error instanceof MappingError) fail(`${at}.default`, "the default cannot be mapped (transform or value map)");
        throw error;
      }
    }
    return {
      key: f.meander,
      meanderPath: f.meander,
      portalField: f.portal,
      direction,
      owner: f.owner ?? config.conflictPolicy,
      transforms,
      required: f.required ?? false,
      ...(f.lookup ? { lookup: f.lookup } : {}),
      sources: direction === "both" ? ["meander", "portal"] : direction === "toPortal" ? ["meander"] : ["portal"],
      ...(toPortal ? { toPortal, meanderCanonical } : {}),
      ...(toMeander ? { toMeander } : {}),
      ...(seedToPortal ? { seedToPortal } : {}),
      ...(seedToMeander ? { seedToMeander } : {}),
      ...(matchKey ? { autoCouple: matchKey.autoCouple ?? true } : {}),
    };
  });

  checkMatchKeys(config, fail);
  checkDeletePolicy(config, fail);
  checkSideValues(config, config.scopeExit, "scopeExit", fail);
  (config.reviewFields ?? []).forEach((key, i) => {
    if (!config.fields.some((f) => f.meander === key)) fail(`reviewFields[${i}]`, "not a mapped Meander field of this config");
  });
  checkSideValues(config, config.deletePolicy.retire, "deletePolicy.retire", fail);

  const portalColumns = [
    config.portal.idField,
    ...(config.portal.linkField ? [config.portal.linkField] : []),
    ...fields.map((f) => (f.lookup ? lookupReadColumn(f.portalField) : f.portalField)),
    ...config.portal.scope.map((s) => s.field),
    ...(config.portal.matchScope ?? []).map((s) => s.field),
    ...(config.portal.masterField ? [config.portal.masterField] : []),
  ];
  return {
    config,
    fields,
    toPortal: fields.flatMap((f) => (f.toPortal ? [f.toPortal] : [])),
    toMeander: fields.flatMap((f) => (f.toMeander ? [f.toMeander] : [])),
    fieldByKey: new Map(fields.map((f) => [f.key, f])),
    portalColumns: [...new Set(portalColumns)],
    createUnmatched: config.portal.createUnmatched ?? config.portal.entity !== "contacts",
  };
}

/** Portal to Meander for a toPortal field, when its value map can be inverted; otherwise no seed. */
function seedMapping(
  meander: string,
  portal: string,
  transforms: readonly TransformName[],
  valueMap: Readonly<Record<string, Scalar>> | undefined,
  forward: FieldMapping,
): FieldMapping | undefined {
  if (valueMap && new Set(Object.values(valueMap).map(String)).size !== Object.keys(valueMap).length) return undefined;
  const noSeed = new Error("no seed");
  try {
    return returnMapping(meander, portal, transforms, valueMap, undefined, false, forward, "", () => {
      throw noSeed;
    });
  } catch (error) {
    if (error === noSeed) return undefined;
    throw error;
  }
}

type Fail = (path: string, problem: string) => never;

function checkFieldSet(config: SyncConfig, fail: Fail): void {
  const portals = new Map<string, number>();
  const paths: string[] = [];
  const reserved = new Set([config.portal.idField, config.portal.linkField].filter((c): c is string => !!c));
  config.fields.forEach((f, i) => {
    if (!isSafePath(f.meander)) fail(`fields[${i}].meander`, "not a valid dot path");
    if (portals.has(f.portal)) fail(`fields[${i}].portal`, `duplicate portal target (also fields[${portals.get(f.portal)}])`);
    portals.set(f.portal, i);
    if (reserved.has(f.portal)) fail(`fields[${i}].portal`, "the portal id field or link field cannot be mapped");
    if (f.meander === "id" || f.meander === config.meander.linkField) fail(`fields[${i}].meander`, "the Meander id or link field cannot be mapped");
    const clash = paths.findIndex((p) => p === f.meander || p.startsWith(`${f.meander}.`) || f.meander.startsWith(`${p}.`));
    if (clash >= 0) fail(`fields[${i}].meander`, `duplicate or overlapping Meander path (also fields[${clash}])`);
    paths.push(f.meander);
  });
}

function checkOneToOne(valueMap: Readonly<Record<string, Scalar>>, path: string, fail: Fail): void {
  const seen = new Set<string>();
  for (const value of Object.values(valueMap)) {
    const key = String(value);
    if (seen.has(key)) fail(path, "the value map is not one-to-one, but the field flows back to Meander");
    seen.add(key);
  }
}

/** Portal to Meander: the value map inverted (its values become keys; the Meander values it yields are already transformed). */
function returnMapping(
  meander: string,
  portal: string,
  transforms: readonly TransformName[],
  valueMap: Readonly<Record<string, Scalar>> | undefined,
  fallback: Scalar | undefined,
  required: boolean | undefined,
  forward: FieldMapping,
  at: string,
  fail: Fail,
): FieldMapping {
  let inverse: Record<string, Scalar> | undefined;
  if (valueMap) {
    inverse = {};
    for (const [key, value] of Object.entries(valueMap)) {
      try {
        inverse[String(value)] = applyTransforms(key, transforms) as Scalar;
      } catch (error) {
        if (error instanceof TransformFailure) fail(`${at}.valueMap`, `a key cannot be converted by transform ${error.transform}`);
        throw error;
      }
    }
  }
  let portalDefault: unknown;
  if (fallback !== undefined) {
    try {
      portalDefault = mapValue(fallback, forward);
    } catch (error) {
      if (error instanceof MappingError) fail(`${at}.default`, "the default cannot be mapped (transform or value map)");
      throw error;
    }
  }
  return {
    source: portal,
    target: meander,
    ...(inverse ? { valueMap: inverse } : transforms.length ? { transform: transforms } : {}),
    ...(portalDefault !== undefined && portalDefault !== null ? { default: portalDefault } : {}),
    ...(required ? { required: true } : {}),
  };
}

function checkMatchKeys(config: SyncConfig, fail: Fail): void {
  config.matchKeys.forEach((k, i) => {
    const field = config.fields.find((f) => f.meander === k.meander);
    if (!field) fail(`matchKeys[${i}].meander`, "the match key's Meander field is not mapped");
    else if (field.portal !== k.portal) fail(`matchKeys[${i}].portal`, "the match key's portal column is not the one its Meander field maps to");
  });
}

function checkDeletePolicy(config: SyncConfig, fail: Fail): void {
  const { meanderDeleted, portalDeleted, retire } = config.deletePolicy;
  if (meanderDeleted !== "unlink" && !writesTo(config.direction, "portal"))
    fail("deletePolicy.meanderDeleted", `${meanderDeleted} needs a config that writes to the portal`);
  if (portalDeleted !== "unlink" && !writesTo(config.direction, "meander"))
    fail("deletePolicy.portalDeleted", `${portalDeleted} needs a config that writes to Meander`);
  // The portal is HLF's member register: the sync never hard-deletes there unless the config says so in so many words.
  if (meanderDeleted === "delete" && config.portal.allowDelete !== true)
    fail("deletePolicy.meanderDeleted", "delete removes portal records: it needs portal.allowDelete: true (or use retire, deactivate or unlink)");
  if (portalDeleted === "deactivate") fail("deletePolicy.portalDeleted", "deactivate is a Dataverse state: only meanderDeleted can use it");
  if (meanderDeleted === "retire" && !Object.keys(retire?.portal ?? {}).length)
    fail("deletePolicy.retire.portal", "retire needs the values to write on the portal record");
  if (portalDeleted === "retire" && !Object.keys(retire?.meander ?? {}).length)
    fail("deletePolicy.retire.meander", "retire needs the values to write on the Meander record");
}

/** Retire and scope-exit values name fields the config maps, on the side that receives them. */
function checkSideValues(config: SyncConfig, values: SyncConfig["scopeExit"], at: string, fail: Fail): void {
  for (const side of ["portal", "meander"] as const) {
    const given = values?.[side];
    if (!given) continue;
    if (!writesTo(config.direction, side)) fail(`${at}.${side}`, `the config does not write to ${side}`);
    for (const key of Object.keys(given)) {
      const known = config.fields.some((f) => (side === "portal" ? f.portal === key : f.meander === key));
      if (!known) fail(`${at}.${side}.${key}`, `not a mapped ${side === "portal" ? "portal column" : "Meander field"} of this config`);
    }
  }
}
