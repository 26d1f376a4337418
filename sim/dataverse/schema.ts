/**
 * The simulator's tables as Dataverse describes them in its metadata: columns with their
 * types, date behaviours and choices, alternate keys with their index status, lookups with
 * their navigation properties. The store validates writes and queries against it and the
 * `EntityDefinitions` endpoints serve it, so tests check the configs against the same
 * metadata a real environment would give.
 *
 * Metadata shapes: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api
 * Column types: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/entity-attribute-metadata
 */

export type AttributeType =
  | "String"
  | "Memo"
  | "Integer"
  | "BigInt"
  | "Decimal"
  | "Double"
  | "Money"
  | "Boolean"
  | "DateTime"
  | "Picklist"
  | "State"
  | "Status"
  | "Lookup"
  | "Uniqueidentifier";

/**
 * UserLocal: stored and returned in UTC, shown in the user's zone. DateOnly: a calendar
 * date, returned as yyyy-mm-dd. TimeZoneIndependent: stored and returned as given.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/behavior-format-date-time-attribute
 */
export type DateTimeBehavior = "UserLocal" | "DateOnly" | "TimeZoneIndependent";

export interface OptionDef {
  readonly value: number;
  readonly label: string;
  /** Status options: the state they belong to. */
  readonly state?: number;
  /** State options: the status a record gets when only the state is set. */
  readonly defaultStatus?: number;
}

export interface AttributeDef {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly type: AttributeType;
  readonly maxLength?: number;
  readonly dateTimeBehavior?: DateTimeBehavior;
  readonly format?: "DateOnly" | "DateAndTime";
  readonly options?: readonly OptionDef[];
  /** Lookups: the tables (logical names) it may point at. */
  readonly targets?: readonly string[];
  /** Lookups: the single-valued navigation property a write binds through (case-sensitive). */
  readonly navigationProperty?: string;
  /** Maintained by the platform: not valid for create or update. */
  readonly readOnly?: boolean;
}

/**
 * Alternate keys are indexed asynchronously after they are created; until the index is
 * Active the key cannot be used in a URL.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/define-alternate-keys-entity
 */
export type KeyIndexStatus = "Pending" | "InProgress" | "Active" | "Failed";

export interface KeyDef {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly attributes: readonly string[];
  status: KeyIndexStatus;
}

export interface TableDef {
  readonly logicalName: string;
  readonly schemaName: string;
  readonly entitySetName: string;
  readonly primaryIdAttribute: string;
  readonly primaryNameAttribute?: string;
  changeTrackingEnabled: boolean;
  readonly isOptimisticConcurrencyEnabled: boolean;
  readonly attributes: AttributeDef[];
  readonly keys: KeyDef[];
}

const text = (logicalName: string, schemaName: string, maxLength = 100): AttributeDef => ({ logicalName, schemaName, type: "String", maxLength });

const system = (primaryId: string, primarySchema: string): AttributeDef[] => [
  { logicalName: primaryId, schemaName: primarySchema, type: "Uniqueidentifier" },
  { logicalName: "createdon", schemaName: "CreatedOn", type: "DateTime", dateTimeBehavior: "UserLocal", format: "DateAndTime", readOnly: true },
  { logicalName: "modifiedon", schemaName: "ModifiedOn", type: "DateTime", dateTimeBehavior: "UserLocal", format: "DateAndTime", readOnly: true },
  { logicalName: "versionnumber", schemaName: "VersionNumber", type: "BigInt", readOnly: true },
];

/**
 * Every table with a state has Active (0) and Inactive (1), each with its own status reasons.
 * https://learn.microsoft.com/en-us/dynamics365/customer-engagement/developer/define-custom-state-model-transitions
 */
const stateColumns = (table: string): AttributeDef[] => [
  {
    logicalName: "statecode",
    schemaName: "StateCode",
    type: "State",
    options: [
      { value: 0, label: "Active", defaultStatus: 1 },
      { value: 1, label: "Inactive", defaultStatus: 2 },
    ],
  },
  {
    logicalName: "statuscode",
    schemaName: "StatusCode",
    type: "Status",
    options: [
      { value: 1, label: "Active", state: 0 },
      { value: 2, label: "Inactive", state: 1 },
    ],
  },
  ...(table === "contact"
    ? [
        // Set by the Merge action on the subordinate record, never by a write.
        { logicalName: "merged", schemaName: "Merged", type: "Boolean", readOnly: true } as AttributeDef,
        {
          logicalName: "masterid",
          schemaName: "MasterId",
          type: "Lookup",
          targets: ["contact"],
          navigationProperty: "masterid",
          readOnly: true,
        } as AttributeDef,
      ]
    : []),
];

/**
 * The HLF tables as the simulator has them. The choice values carry the default publisher's
 * prefix (100000000...); a real environment's carry its own publisher's, which `npm run check`
 * reports with their labels.
 */
export function defaultTables(): TableDef[] {
  return [
    {
      logicalName: "contact",
      schemaName: "Contact",
      entitySetName: "contacts",
      primaryIdAttribute: "contactid",
      primaryNameAttribute: "fullname",
      changeTrackingEnabled: true,
      isOptimisticConcurrencyEnabled: true,
      attributes: [
        ...system("contactid", "ContactId"),
        ...stateColumns("contact"),
        text("firstname", "FirstName", 50),
        text("lastname", "LastName", 50),
        { ...text("fullname", "FullName", 160), readOnly: true },
        text("emailaddress1", "EMailAddress1", 100),
        text("mobilephone", "MobilePhone", 50),
        text("telephone1", "Telephone1", 50),
        text("jobtitle", "JobTitle", 100),
        text("address1_postalcode", "Address1_PostalCode", 20),
        text("address1_city", "Address1_City", 80),
        { logicalName: "description", schemaName: "Description", type: "Memo", maxLength: 2000 },
        text("hlf_localchapter", "hlf_LocalChapter", 100),
        text("hlf_membernumber", "hlf_MemberNumber", 20),
        text("hlf_meanderid", "hlf_MeanderId", 100),
        {
          logicalName: "hlf_likepersonstatus",
          schemaName: "hlf_LikepersonStatus",
          type: "Picklist",
          options: [
            { value: 100000000, label: "Aktiv" },
            { value: 100000001, label: "Pause" },
            { value: 100000002, label: "Avsluttet" },
          ],
        },
        { logicalName: "hlf_trainingcompletedon", schemaName: "hlf_TrainingCompletedOn", type: "DateTime", dateTimeBehavior: "DateOnly", format: "DateOnly" },
      ],
      keys: [{ logicalName: "hlf_meanderid_key", schemaName: "hlf_MeanderId_Key", attributes: ["hlf_meanderid"], status: "Active" }],
    },
    {
      logicalName: "hlf_likepersonactivity",
      schemaName: "hlf_LikepersonActivity",
      entitySetName: "hlf_likepersonactivities",
      primaryIdAttribute: "hlf_likepersonactivityid",
      primaryNameAttribute: "hlf_name",
      changeTrackingEnabled: true,
      isOptimisticConcurrencyEnabled: true,
      attributes: [
        ...system("hlf_likepersonactivityid", "hlf_LikepersonActivityId"),
        ...stateColumns("hlf_likepersonactivity"),
        text("hlf_name", "hlf_Name", 100),
        text("hlf_meanderid", "hlf_MeanderId", 100),
        // A custom lookup's navigation property is its SchemaName, not the lower-cased logical name.
        { logicalName: "hlf_contactid", schemaName: "hlf_ContactId", type: "Lookup", targets: ["contact"], navigationProperty: "hlf_ContactId" },
        // A date entered in the portal: a "Date only" format on the default UserLocal behaviour, so Dataverse returns UTC.
        { logicalName: "hlf_date", schemaName: "hlf_Date", type: "DateTime", dateTimeBehavior: "UserLocal", format: "DateOnly" },
        {
          logicalName: "hlf_kind",
          schemaName: "hlf_Kind",
          type: "Picklist",
          options: [
            { value: 100000000, label: "Samtale" },
            { value: 100000001, label: "Gruppe" },
            { value: 100000002, label: "Telefon" },
            { value: 100000003, label: "Arrangement" },
          ],
        },
        { logicalName: "hlf_hours", schemaName: "hlf_Hours", type: "Decimal" },
        { logicalName: "hlf_peoplereached", schemaName: "hlf_PeopleReached", type: "Integer" },
        text("hlf_localchapter", "hlf_LocalChapter", 100),
      ],
      keys: [{ logicalName: "hlf_meanderid_key", schemaName: "hlf_MeanderId_Key", attributes: ["hlf_meanderid"], status: "Active" }],
    },
  ];
}

export const attributeOf = (table: TableDef, logicalName: string): AttributeDef | undefined => table.attributes.find((a) => a.logicalName === logicalName);
