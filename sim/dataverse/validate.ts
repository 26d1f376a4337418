/**
 * What Dataverse refuses before it stores anything, checked against the table's metadata:
 * properties that are not columns of the table, lookups bound through anything but their
 * navigation property (case-sensitive), values of the wrong type, text longer than the
 * column, choices outside the option set, unknown columns in `$select` and `$filter`.
 * Values are stored as Dataverse returns them: DateOnly columns as yyyy-mm-dd, other dates
 * in UTC to the second.
 *
 * Errors and their codes:
 * https://learn.microsoft.com/en-us/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors
 * Binding lookups through the navigation property:
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create
 * Date behaviours: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/behavior-format-date-time-attribute
 */
import type { FilterNode } from "./filter.js";
import { DV, SimError } from "./http.js";
import type { AttributeDef, TableDef } from "./schema.js";

export type Row = Record<string, unknown>;

/** Columns whose values the platform sets; Dataverse ignores them in a write body. */
const IGNORED_ON_WRITE = new Set(["createdon", "modifiedon", "versionnumber"]);

const payloadError = (table: TableDef, detail: string) =>
  new SimError(
    400,
    DV.badRequest,
    `Error identified in Payload provided by the user for Entity :'${table.entitySetName}'. InnerException : Microsoft.OData.ODataException: ${detail}`,
  );

/** The name a column is read and filtered by: `_x_value` for a lookup. */
export const readName = (a: AttributeDef): string => (a.type === "Lookup" ? `_${a.logicalName}_value` : a.logicalName);

const DATE_ONLY = /^(\d{4}-\d{2}-\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?$/;

function dateValue(table: TableDef, a: AttributeDef, value: string): string {
  const date = DATE_ONLY.exec(value);
  const time = DATE_TIME.exec(value);
  if (!date && !time) throw payloadError(table, `Cannot convert the literal '${value}' to the expected type 'Edm.DateTimeOffset'.`);
  if (a.dateTimeBehavior === "DateOnly") return date ? date[1]! : time![1]!;
  // UserLocal and TimeZoneIndependent come back as UTC instants to the second; a
  // value without an offset is taken as UTC.
  const instant = new Date(date ? `${date[1]}T00:00:00Z` : time![3] ? value : `${value}Z`);
  if (Number.isNaN(instant.getTime())) throw payloadError(table, `Cannot convert the literal '${value}' to the expected type 'Edm.DateTimeOffset'.`);
  return instant.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function typeName(a: AttributeDef): string {
  switch (a.type) {
    case "String":
    case "Memo":
      return "Edm.String";
    case "Integer":
    case "Picklist":
    case "State":
    case "Status":
      return "Edm.Int32";
    case "BigInt":
      return "Edm.Int64";
    case "Decimal":
    case "Money":
      return "Edm.Decimal";
    case "Double":
      return "Edm.Double";
    case "Boolean":
      return "Edm.Boolean";
    case "DateTime":
      return "Edm.DateTimeOffset";
    default:
      return "Edm.Guid";
  }
}

/** One value as Dataverse stores it, or its 400. */
export function checkValue(table: TableDef, a: AttributeDef, value: unknown): unknown {
  if (value === null) return null;
  const wrongType = () => payloadError(table, `Cannot convert the literal '${String(value)}' to the expected type '${typeName(a)}'.`);
  switch (a.type) {
    case "String":
    case "Memo":
      if (typeof value !== "string") throw wrongType();
      if (a.maxLength !== undefined && value.length > a.maxLength) {
        throw new SimError(
          400,
          DV.validationLength,
          `A validation error occurred. The length of the '${a.logicalName}' attribute of the '${table.logicalName}' entity exceeded the maximum allowed length of '${a.maxLength}'.`,
        );
      }
      return value;
    case "Integer":
    case "BigInt":
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType();
      return value;
    case "Decimal":
    case "Double":
    case "Money":
      if (typeof value !== "number" || !Number.isFinite(value)) throw wrongType();
      return value;
    case "Boolean":
      if (typeof value !== "boolean") throw wrongType();
      return value;
    case "DateTime":
      if (typeof value !== "string") throw wrongType();
      return dateValue(table, a, value);
    case "Picklist":
    case "State":
    case "Status": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType();
      const accepted = (a.options ?? []).map((o) => o.value);
      if (a.type === "Picklist" && !accepted.includes(value)) {
        // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/entity-attribute-metadata#choices
        throw new SimError(
          400,
          DV.optionOutOfRange,
          `A validation error occurred. The value ${value} of '${a.logicalName}' on record of type '${table.logicalName}' is outside the valid range. Accepted Values: ${accepted.join(",")}`,
        );
      }
      return value;
    }
    case "Uniqueidentifier":
      if (typeof value !== "string") throw wrongType();
      return value;
    default:
      throw wrongType();
  }
}

export interface BindTarget {
  readonly entitySet: string;
  readonly id: string;
}

/**
 * The body of a create or update as stored columns. `resolveBind` turns the value of a
 * `nav@odata.bind` into the table and id it points at.
 */
export function checkBody(
  table: TableDef,
  tables: readonly TableDef[],
  body: Readonly<Record<string, unknown>>,
  resolveBind: (name: string, value: unknown) => BindTarget,
): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.endsWith("@odata.bind")) {
      const navigation = name.slice(0, -"@odata.bind".length);
      const lookup = table.attributes.find((a) => a.type === "Lookup" && !a.readOnly && (a.navigationProperty ?? a.logicalName) === navigation);
      if (!lookup) {
        throw payloadError(
          table,
          `An undeclared property '${navigation}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.`,
        );
      }
      const target = resolveBind(name, value);
      const targetTable = tables.find((t) => t.entitySetName === target.entitySet);
      if (!targetTable || !lookup.targets?.includes(targetTable.logicalName)) {
        throw payloadError(table, `The navigation property '${navigation}' cannot point at the entity set '${target.entitySet}'.`);
      }
      row[readName(lookup)] = target.id;
      continue;
    }
    if (name.includes("@")) continue;
    if (value !== null && typeof value === "object") throw new SimError(400, DV.badRequest, `Deep insert (${name}) is not supported by the simulator.`);
    if (IGNORED_ON_WRITE.has(name)) continue;
    const a = table.attributes.find((c) => c.logicalName === name && c.type !== "Lookup");
    if (!a)
      throw payloadError(
        table,
        `The property '${name}' does not exist on type 'Microsoft.Dynamics.CRM.${table.logicalName}'. Make sure to only use property names that are defined by the type.`,
      );
    if (a.readOnly) continue;
    row[name] = checkValue(table, a, value);
  }
  return row;
}

/** Dataverse's answer to a column a query names that the table does not have. */
const unknownColumn = (table: TableDef, name: string) =>
  // The troubleshooting page shows this error for `$select=Name` on accounts (names are case-sensitive).
  new SimError(400, DV.unknownProperty, `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`);

export function checkColumns(table: TableDef, names: readonly string[]): void {
  const readable = new Set(table.attributes.map(readName));
  for (const name of names) if (!readable.has(name)) throw unknownColumn(table, name);
}

export function filterColumns(node: FilterNode): string[] {
  switch (node.kind) {
    case "and":
    case "or":
      return [...filterColumns(node.left), ...filterColumns(node.right)];
    case "not":
      return filterColumns(node.operand);
    default:
      return [node.field];
  }
}
