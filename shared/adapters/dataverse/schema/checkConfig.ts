/**
 * A sync config checked against the environment's table definitions, before anything is
 * written: every column the config reads or writes exists with a compatible type, choice
 * values are in the option set, dates are read in the right way, the alternate key is
 * Active, change tracking is on, lookups bind through the navigation property.
 * Findings name the table and column (and, for choices, the values and labels found, so
 * a config can be filled in); never a record's data.
 */
import type { FieldConfig, SyncConfig } from "../../../core/configTypes.js";
import { transformList } from "../../../core/transforms.js";
import type { ColumnMetadata, TableMetadata } from "./metadata.js";

export interface Finding {
  /** "error" stops a run and fails `npm run check`; "note" is reported only. */
  readonly level: "error" | "note";
  readonly config: string;
  readonly table: string;
  readonly column?: string;
  readonly message: string;
}

const TEXT = new Set(["String", "Memo"]);
const NUMBER = new Set(["Integer", "BigInt", "Decimal", "Double", "Money"]);
const CHOICE = new Set(["Picklist", "State", "Status"]);

const options = (column: ColumnMetadata) => (column.options ?? []).map((o) => `${o.value} "${o.label}"`).join(", ");

/** Checks one config; `tables` holds the metadata of every entity set it names (undefined: not in the environment). */
export function checkConfig(config: SyncConfig, tables: ReadonlyMap<string, TableMetadata | undefined>): Finding[] {
  const findings: Finding[] = [];
  const entitySet = config.portal.entity;
  const table = tables.get(entitySet);
  const error = (message: string, column?: string) =>
    findings.push({ level: "error", config: config.id, table: entitySet, ...(column ? { column } : {}), message });
  const note = (message: string, column?: string) =>
    findings.push({ level: "note", config: config.id, table: entitySet, ...(column ? { column } : {}), message });
  if (!table) {
    error(`no table with the entity set name ${entitySet}`);
    return findings;
  }
  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
  if (!table.changeTrackingEnabled) error("change tracking is not enabled on the table (the delta read needs it)");
  if (!table.isOptimisticConcurrencyEnabled) note("optimistic concurrency is off: If-Match on updates is not checked");
  if (table.primaryIdAttribute !== config.portal.idField)
    error(`idField is ${config.portal.idField} but the table's primary key is ${table.primaryIdAttribute}`, config.portal.idField);

  const column = (name: string, what: string): ColumnMetadata | undefined => {
    const found = table.columns.get(name);
    if (!found) error(`${what}: no column ${name} on ${table.logicalName}`, name);
    return found;
  };

  if (config.portal.alternateKey) {
    const name = config.portal.alternateKey;
    column(name, "alternateKey");
    // Keys are indexed asynchronously; only an Active key can address a record.
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/define-alternate-keys-entity
    const key = table.keys.find((k) => k.attributes.length === 1 && k.attributes[0] === name);
    if (!key) error(`alternateKey: the table has no alternate key on ${name}`, name);
    else if (key.status !== "Active") error(`alternateKey: the key ${key.logicalName} has index status ${key.status}, not Active`, name);
  }
  if (config.portal.linkField) column(config.portal.linkField, "linkField");
  for (const scope of config.portal.scope) column(scope.field, "scope");
  for (const key of config.matchKeys) {
    const found = column(key.portal, "matchKeys");
    if (found && !TEXT.has(found.type)) error(`matchKeys: ${key.portal} is ${found.type}, a match key needs a text column`, key.portal);
  }
  for (const field of config.fields) checkField(config, field, table, tables, column, error, note);
  return findings;
}

function checkField(
  config: SyncConfig,
  field: FieldConfig,
  table: TableMetadata,
  tables: ReadonlyMap<string, TableMetadata | undefined>,
  column: (name: string, what: string) => ColumnMetadata | undefined,
  error: (message: string, column?: string) => void,
  note: (message: string, column?: string) => void,
): void {
  const name = field.portal;
  const found = column(name, `field ${field.meander}`);
  if (!found) return;
  const transforms = transformList(field.transform);
  const direction = field.direction ?? config.direction;

  if (field.lookup) {
    if (found.type !== "Lookup") {
      error(`a lookup field, but ${name} is ${found.type}`, name);
      return;
    }
    const target = tables.get(field.lookup.entitySet);
    if (!target) {
      error(`lookup: no table with the entity set name ${field.lookup.entitySet}`, name);
      return;
    }
    if (!found.targets?.includes(target.logicalName)) {
      error(`lookup: ${name} does not point at ${target.logicalName}`, name);
      return;
    }
    const relationship = table.relationships.find((r) => r.referencingAttribute === name && r.referencedEntity === target.logicalName);
    const bind = field.lookup.navigationProperty ?? name;
    // The bind name is checked case-sensitively by Dataverse.
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create
    if (!relationship) error(`lookup: no many-to-one relationship from ${name} to ${target.logicalName}`, name);
    else if (relationship.navigationProperty !== bind) {
      error(`lookup: binds as ${bind}@odata.bind but the navigation property is ${relationship.navigationProperty} (set lookup.navigationProperty)`, name);
    }
    return;
  }

  if (field.valueMap) {
    if (!CHOICE.has(found.type) && found.type !== "Boolean") {
      if (Object.values(field.valueMap).some((v) => typeof v === "number") && !NUMBER.has(found.type)) {
        error(`valueMap maps to numbers but ${name} is ${found.type}`, name);
      }
      return;
    }
    if (!CHOICE.has(found.type)) return;
    const known = new Set((found.options ?? []).map((o) => o.value));
    const mapped = new Set<number>();
    for (const [meander, value] of Object.entries(field.valueMap)) {
      if (typeof value !== "number" || !known.has(value)) {
        error(`valueMap.${meander} = ${String(value)} is not an option of ${name}; its options are ${options(found)}`, name);
      } else mapped.add(value);
    }
    const unmapped = (found.options ?? []).filter((o) => !mapped.has(o.value));
    if (unmapped.length) {
      const list = unmapped.map((o) => `${o.value} "${o.label}"`).join(", ");
      // A portal value the map cannot take back to Meander fails that record; one-way fields never read it.
      if (direction === "toPortal") note(`options not in the valueMap (never written): ${list}`, name);
      else error(`options not in the valueMap cannot be synced to Meander: ${list}`, name);
    }
    return;
  }
  if (CHOICE.has(found.type)) {
    error(`${name} is a choice (${found.type}) but the field has no valueMap; its options are ${options(found)}`, name);
    return;
  }

  if (transforms.includes("dateOnly")) {
    if (found.type !== "DateTime") {
      error(`dateOnly on ${name}, which is ${found.type}`, name);
      return;
    }
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/behavior-format-date-time-attribute
    const behavior = found.dateTimeBehavior ?? "UserLocal";
    if (behavior === "UserLocal" && !field.timeZone) {
      error(`${name} has UserLocal behaviour (returned in UTC): a dateOnly field needs timeZone (e.g. Europe/Oslo), or the column DateOnly behaviour`, name);
    }
    if (behavior !== "UserLocal" && field.timeZone) error(`timeZone is set but ${name} has ${behavior} behaviour (dates are not shifted)`, name);
    return;
  }
  if (field.timeZone) error("timeZone is set on a field without the dateOnly transform", name);
  if (transforms.includes("number") && !NUMBER.has(found.type)) {
    error(`number on ${name}, which is ${found.type}`, name);
    return;
  }
  if (transforms.includes("boolean") && found.type !== "Boolean") {
    error(`boolean on ${name}, which is ${found.type}`, name);
    return;
  }
  const textTransforms = transforms.filter((t) => t === "trim" || t === "lowercase" || t === "uppercase" || t === "phone");
  if (textTransforms.length && !transforms.includes("number") && !TEXT.has(found.type))
    error(`${textTransforms.join(", ")} on ${name}, which is ${found.type}`, name);
}

/** One line per finding: `activities: hlf_likepersonactivities.hlf_kind: ...`. */
export function formatFinding(f: Finding): string {
  return `${f.level === "error" ? "error" : "note "} ${f.config}: ${f.table}${f.column ? `.${f.column}` : ""}: ${f.message}`;
}
