/**
 * `EntityDefinitions`: the table definitions (metadata) of the simulator's tables, in the
 * shapes the Web API returns: the entity with its attributes (derived-type properties such
 * as DateTimeBehavior and Targets included), choices through a cast to the attribute type
 * with `$expand=OptionSet`, alternate keys with their EntityKeyIndexStatus, and many-to-one
 * relationships with the navigation property a write binds through.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/entitymetadata
 */
import { createHash } from "node:crypto";
import { DV, jsonResponse, SimError, type SimRequest, type SimResponse } from "./http.js";
import type { AttributeDef, AttributeType, OptionDef, TableDef } from "./schema.js";

/** Norwegian (bokmål), the language HLF's labels are in. */
const LANGUAGE = 1044;

const metadataId = (name: string): string => {
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const TYPE_NAMES: Readonly<Record<AttributeType, [odataType: string, typeName: string]>> = {
  String: ["StringAttributeMetadata", "StringType"],
  Memo: ["MemoAttributeMetadata", "MemoType"],
  Integer: ["IntegerAttributeMetadata", "IntegerType"],
  BigInt: ["BigIntAttributeMetadata", "BigIntType"],
  Decimal: ["DecimalAttributeMetadata", "DecimalType"],
  Double: ["DoubleAttributeMetadata", "DoubleType"],
  Money: ["MoneyAttributeMetadata", "MoneyType"],
  Boolean: ["BooleanAttributeMetadata", "BooleanType"],
  DateTime: ["DateTimeAttributeMetadata", "DateTimeType"],
  Picklist: ["PicklistAttributeMetadata", "PicklistType"],
  State: ["StateAttributeMetadata", "StateType"],
  Status: ["StatusAttributeMetadata", "StatusType"],
  Lookup: ["LookupAttributeMetadata", "LookupType"],
  Uniqueidentifier: ["AttributeMetadata", "UniqueidentifierType"],
};

const label = (text: string) => ({ LocalizedLabels: [{ Label: text, LanguageCode: LANGUAGE }], UserLocalizedLabel: { Label: text, LanguageCode: LANGUAGE } });

function option(o: OptionDef): Record<string, unknown> {
  return {
    Value: o.value,
    Label: label(o.label),
    ...(o.state !== undefined ? { State: o.state } : {}),
    ...(o.defaultStatus !== undefined ? { DefaultStatus: o.defaultStatus } : {}),
  };
}

function attribute(table: TableDef, a: AttributeDef, withOptions: boolean): Record<string, unknown> {
  const [odataType, typeName] = TYPE_NAMES[a.type];
  return {
    "@odata.type": `#Microsoft.Dynamics.CRM.${odataType}`,
    MetadataId: metadataId(`${table.logicalName}.${a.logicalName}`),
    LogicalName: a.logicalName,
    SchemaName: a.schemaName,
    EntityLogicalName: table.logicalName,
    AttributeType: a.type,
    AttributeTypeName: { Value: typeName },
    IsPrimaryId: a.logicalName === table.primaryIdAttribute,
    IsValidForRead: true,
    IsValidForCreate: !a.readOnly,
    IsValidForUpdate: !a.readOnly && a.logicalName !== table.primaryIdAttribute,
    ...(a.maxLength !== undefined ? { MaxLength: a.maxLength } : {}),
    ...(a.type === "DateTime" ? { DateTimeBehavior: { Value: a.dateTimeBehavior ?? "UserLocal" }, Format: a.format ?? "DateAndTime" } : {}),
    ...(a.type === "Lookup" ? { Targets: [...(a.targets ?? [])] } : {}),
    ...(withOptions && a.options
      ? { OptionSet: { MetadataId: metadataId(`${table.logicalName}.${a.logicalName}.options`), Options: a.options.map(option) } }
      : {}),
  };
}

function relationships(table: TableDef, tables: readonly TableDef[]): Record<string, unknown>[] {
  return table.attributes
    .filter((a) => a.type === "Lookup")
    .flatMap((a) =>
      (a.targets ?? []).map((target) => ({
        MetadataId: metadataId(`${table.logicalName}.${a.logicalName}.${target}`),
        SchemaName: `${table.logicalName}_${a.logicalName}_${target}`,
        ReferencedEntity: target,
        ReferencedAttribute: tables.find((t) => t.logicalName === target)?.primaryIdAttribute ?? `${target}id`,
        ReferencingEntity: table.logicalName,
        ReferencingAttribute: a.logicalName,
        ReferencingEntityNavigationPropertyName: a.navigationProperty ?? a.logicalName,
        ReferencedEntityNavigationPropertyName: `${table.logicalName}_${a.logicalName}`,
      })),
    );
}

function keys(table: TableDef): Record<string, unknown>[] {
  return table.keys.map((k) => ({
    MetadataId: metadataId(`${table.logicalName}.key.${k.logicalName}`),
    LogicalName: k.logicalName,
    SchemaName: k.schemaName,
    EntityLogicalName: table.logicalName,
    KeyAttributes: [...k.attributes],
    EntityKeyIndexStatus: k.status,
  }));
}

function entity(table: TableDef): Record<string, unknown> {
  return {
    MetadataId: metadataId(table.logicalName),
    LogicalName: table.logicalName,
    SchemaName: table.schemaName,
    EntitySetName: table.entitySetName,
    LogicalCollectionName: table.entitySetName,
    PrimaryIdAttribute: table.primaryIdAttribute,
    PrimaryNameAttribute: table.primaryNameAttribute ?? null,
    ChangeTrackingEnabled: table.changeTrackingEnabled,
    IsOptimisticConcurrencyEnabled: table.isOptimisticConcurrencyEnabled,
  };
}

/** Top-level names of a `$expand` (`Attributes($select=x),Keys` -> Attributes, Keys). */
function expandNames(text: string | null): string[] {
  if (!text) return [];
  const names: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      names.push(current.trim());
      current = "";
    } else if (depth === 0 && ch !== ")") current += ch;
  }
  if (current.trim()) names.push(current.trim());
  return names;
}

function selected(row: Record<string, unknown>, select: string | null): Record<string, unknown> {
  if (!select) return row;
  const names = new Set(select.split(",").map((s) => s.trim()));
  names.add("MetadataId");
  return Object.fromEntries(Object.entries(row).filter(([name]) => names.has(name) || name.startsWith("@")));
}

const KEY = /^(?:LogicalName='([^']+)'|([0-9a-fA-F-]{36}))$/;

function findTable(tables: readonly TableDef[], key: string): TableDef {
  const match = KEY.exec(key);
  const table = match ? tables.find((t) => (match[1] ? t.logicalName === match[1] : metadataId(t.logicalName) === match[2]!.toLowerCase())) : undefined;
  if (!table) throw new SimError(404, DV.notFound, `Could not find an entity with the key ${key}.`);
  return table;
}

function withExpand(table: TableDef, tables: readonly TableDef[], request: SimRequest): Record<string, unknown> {
  const body = selected(entity(table), request.query.get("$select"));
  for (const name of expandNames(request.query.get("$expand"))) {
    if (name === "Attributes") body.Attributes = table.attributes.map((a) => attribute(table, a, false));
    else if (name === "Keys") body.Keys = keys(table);
    else if (name === "ManyToOneRelationships") body.ManyToOneRelationships = relationships(table, tables);
    else if (name === "OneToManyRelationships" || name === "ManyToManyRelationships") body[name] = [];
    else throw new SimError(400, DV.queryInvalid, `Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.`);
  }
  return body;
}

const CAST = /^Microsoft\.Dynamics\.CRM\.(\w+AttributeMetadata)$/;

/** Answers a GET below `EntityDefinitions`; undefined when the path is not a metadata path. */
export function handleMetadata(baseUrl: string, tables: readonly TableDef[], request: SimRequest): SimResponse | undefined {
  if (!request.path.startsWith("EntityDefinitions")) return undefined;
  if (request.method.toUpperCase() !== "GET") throw new SimError(405, DV.badRequest, "The simulator's metadata is read-only.");
  const context = `${baseUrl}$metadata#EntityDefinitions`;
  if (request.path === "EntityDefinitions") {
    const filter = request.query.get("$filter");
    let list = [...tables];
    if (filter) {
      const match = /^\s*(LogicalName|EntitySetName|SchemaName)\s+eq\s+'([^']*)'\s*$/.exec(filter);
      if (!match) throw new SimError(400, DV.queryInvalid, "The simulator filters table definitions by LogicalName, EntitySetName or SchemaName (eq) only.");
      const property = match[1] === "LogicalName" ? "logicalName" : match[1] === "EntitySetName" ? "entitySetName" : "schemaName";
      list = list.filter((t) => t[property] === match[2]);
    }
    return jsonResponse(200, { "@odata.context": context, value: list.map((t) => withExpand(t, tables, request)) });
  }
  const path = /^EntityDefinitions\(([^)]*)\)(?:\/(Attributes|Keys|ManyToOneRelationships)(?:\(LogicalName='([^']+)'\))?(?:\/([\w.]+))?)?$/.exec(request.path);
  if (!path) throw new SimError(404, DV.notFound, `Resource not found for the segment '${request.path}'.`);
  const table = findTable(tables, path[1]!);
  const [, , segment, attributeName, cast] = path;
  if (!segment) return jsonResponse(200, { "@odata.context": `${context}/$entity`, ...withExpand(table, tables, request) });
  if (segment === "Keys") return jsonResponse(200, { "@odata.context": `${context}('${table.logicalName}')/Keys`, value: keys(table) });
  if (segment === "ManyToOneRelationships") {
    return jsonResponse(200, { "@odata.context": `${context}('${table.logicalName}')/ManyToOneRelationships`, value: relationships(table, tables) });
  }
  const castType = cast ? CAST.exec(cast)?.[1] : undefined;
  if (cast && !castType) throw new SimError(400, DV.queryInvalid, `Invalid cast segment '${cast}'.`);
  const withOptions = expandNames(request.query.get("$expand")).some((name) => name === "OptionSet" || name === "GlobalOptionSet");
  let attributes = table.attributes.filter((a) => !castType || TYPE_NAMES[a.type][0] === castType);
  if (attributeName) {
    attributes = attributes.filter((a) => a.logicalName === attributeName);
    const [found] = attributes;
    if (!found) throw new SimError(404, DV.notFound, `Could not find an attribute with the name ${attributeName}.`);
    return jsonResponse(200, { "@odata.context": `${context}/Attributes/$entity`, ...attribute(table, found, withOptions) });
  }
  return jsonResponse(200, {
    "@odata.context": `${context}('${table.logicalName}')/Attributes`,
    value: attributes.map((a) => attribute(table, a, withOptions)),
  });
}
