/**
 * Table definitions read from Dataverse through dynamics-web-api: one request per table
 * (entity, attributes, keys, many-to-one relationships) and one per kind of choice column
 * (options with their labels, through a cast to the attribute type).
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api
 */
import { FatalError } from "../../../errors.js";
import type { DataverseClient } from "../client.js";

export interface ChoiceOption {
  readonly value: number;
  readonly label: string;
}

export interface ColumnMetadata {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly type: string;
  /** DateTime columns: UserLocal, DateOnly or TimeZoneIndependent. */
  readonly dateTimeBehavior?: string;
  readonly format?: string;
  readonly targets?: readonly string[];
  readonly options?: readonly ChoiceOption[];
}

export interface KeyMetadata {
  readonly logicalName: string;
  readonly attributes: readonly string[];
  /** Pending, InProgress, Active or Failed. */
  readonly status: string;
}

export interface LookupRelationship {
  readonly referencingAttribute: string;
  readonly referencedEntity: string;
  readonly navigationProperty: string;
}

export interface TableMetadata {
  readonly logicalName: string;
  readonly entitySetName: string;
  readonly primaryIdAttribute: string;
  readonly changeTrackingEnabled: boolean;
  readonly isOptimisticConcurrencyEnabled: boolean;
  readonly columns: ReadonlyMap<string, ColumnMetadata>;
  readonly keys: readonly KeyMetadata[];
  readonly relationships: readonly LookupRelationship[];
}

type Json = Record<string, unknown>;

const CHOICE_CASTS: Readonly<Record<string, string>> = {
  Picklist: "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
  State: "Microsoft.Dynamics.CRM.StateAttributeMetadata",
  Status: "Microsoft.Dynamics.CRM.StatusAttributeMetadata",
};

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function labelOf(option: Json): string {
  const label = option.Label as { UserLocalizedLabel?: { Label?: unknown }; LocalizedLabels?: { Label?: unknown }[] } | undefined;
  return str(label?.UserLocalizedLabel?.Label) ?? str(label?.LocalizedLabels?.[0]?.Label) ?? "";
}

/**
 * The table behind an entity set (`contacts`), or undefined when the environment has none.
 * One request for the table (filtered by entity set name, attributes, keys and relationships
 * expanded) and one per kind of choice among `choiceColumns` (default: every choice column).
 */
export async function readTableMetadata(client: DataverseClient, entitySet: string, choiceColumns?: ReadonlySet<string>): Promise<TableMetadata | undefined> {
  const found = await client.call(`metadata of ${entitySet}`, (api) =>
    api.retrieveEntities<Json>({
      select: ["LogicalName", "EntitySetName", "PrimaryIdAttribute", "ChangeTrackingEnabled", "IsOptimisticConcurrencyEnabled"],
      filter: `EntitySetName eq '${entitySet.replaceAll("'", "''")}'`,
      expand: [{ property: "Attributes" }, { property: "Keys" }, { property: "ManyToOneRelationships" }],
    }),
  );
  const entity = found.value?.[0];
  const logicalName = str(entity?.LogicalName);
  if (!entity || !logicalName) return undefined;
  const key = `LogicalName='${logicalName}'`;
  const attributes = (entity.Attributes as Json[] | undefined) ?? [];
  const options = new Map<string, ChoiceOption[]>();
  for (const [type, castType] of Object.entries(CHOICE_CASTS)) {
    if (!attributes.some((a) => a.AttributeType === type && (!choiceColumns || choiceColumns.has(String(a.LogicalName))))) continue;
    const choices = await client.call(`choices of ${entitySet}`, (api) =>
      api.retrieveAttributes<Json>({ entityKey: key, castType, select: ["LogicalName"], expand: [{ property: "OptionSet", select: ["Options"] }] }),
    );
    for (const attribute of choices.value ?? []) {
      const list = ((attribute.OptionSet as Json | undefined)?.Options as Json[] | undefined) ?? [];
      options.set(
        String(attribute.LogicalName),
        list.map((o) => ({ value: Number(o.Value), label: labelOf(o) })),
      );
    }
  }
  const columns = new Map<string, ColumnMetadata>();
  for (const a of attributes) {
    const name = str(a.LogicalName);
    if (!name) continue;
    const behavior = (a.DateTimeBehavior as { Value?: unknown } | undefined)?.Value;
    columns.set(name, {
      logicalName: name,
      schemaName: str(a.SchemaName) ?? name,
      type: str(a.AttributeType) ?? "Unknown",
      ...(str(behavior) ? { dateTimeBehavior: str(behavior)! } : {}),
      ...(str(a.Format) ? { format: str(a.Format)! } : {}),
      ...(Array.isArray(a.Targets) ? { targets: a.Targets.map(String) } : {}),
      ...(options.has(name) ? { options: options.get(name)! } : {}),
    });
  }
  const primaryIdAttribute = str(entity.PrimaryIdAttribute);
  if (!primaryIdAttribute) throw new FatalError("METADATA_INVALID", `metadata of ${entitySet}: no PrimaryIdAttribute`);
  return {
    logicalName,
    entitySetName: str(entity.EntitySetName) ?? entitySet,
    primaryIdAttribute,
    changeTrackingEnabled: entity.ChangeTrackingEnabled === true,
    isOptimisticConcurrencyEnabled: entity.IsOptimisticConcurrencyEnabled === true,
    columns,
    keys: ((entity.Keys as Json[] | undefined) ?? []).map((k) => ({
      logicalName: str(k.LogicalName) ?? "",
      attributes: Array.isArray(k.KeyAttributes) ? k.KeyAttributes.map(String) : [],
      status: str(k.EntityKeyIndexStatus) ?? "Unknown",
    })),
    relationships: ((entity.ManyToOneRelationships as Json[] | undefined) ?? []).map((r) => ({
      referencingAttribute: str(r.ReferencingAttribute) ?? "",
      referencedEntity: str(r.ReferencedEntity) ?? "",
      navigationProperty: str(r.ReferencingEntityNavigationPropertyName) ?? "",
    })),
  };
}
