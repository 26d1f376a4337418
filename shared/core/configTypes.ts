/**
 * The shape of a sync config (configs/*.json) as the core uses it. The zod schema in
 * shared/config/syncConfig.ts validates files into this shape.
 */
import type { Direction, Owner, Scalar, TransformName } from "./types.js";

export type ScopeFilter =
  | { readonly field: string; readonly op: "notNull" }
  | { readonly field: string; readonly op: "eq"; readonly value: Scalar }
  | { readonly field: string; readonly op: "in"; readonly values: readonly Scalar[] }
  /** Passes a missing value too (e.g. a contact with no likeperson status is not a retired one). */
  | { readonly field: string; readonly op: "notIn"; readonly values: readonly Scalar[] };

export type KeyNormalizer = "memberNumber" | "email" | "phone" | "none";

export interface MatchKeyConfig {
  readonly meander: string;
  readonly portal: string;
  readonly normalize: KeyNormalizer;
  /**
   * Whether a single hit on this key couples the pair on its own. When false the hit is
   * parked as a `confirmMatch` review item naming the candidate (an e-mail shared by a
   * couple, a typo'd address). Default true.
   */
  readonly autoCouple?: boolean;
}

/** The Meander value is the id of a record of `config`; the portal gets `<portal>@odata.bind: /<entitySet>(<portal id>)`. */
export interface LookupConfig {
  readonly config: string;
  readonly entitySet: string;
  /**
   * The single-valued navigation property the write binds through (case-sensitive; usually
   * the lookup's SchemaName, e.g. `hlf_ContactId`). Default: the portal column's name.
   */
  readonly navigationProperty?: string;
}

export interface FieldConfig {
  readonly meander: string;
  readonly portal: string;
  readonly direction?: Direction;
  readonly owner?: Owner;
  readonly transform?: TransformName | readonly TransformName[];
  /** Meander value (as a string key, after the transforms) to portal value. */
  readonly valueMap?: Readonly<Record<string, Scalar>>;
  /** In Meander's value space, like the value map's keys. */
  readonly default?: Scalar;
  readonly required?: boolean;
  readonly lookup?: LookupConfig;
  /**
   * For a `dateOnly` field on a Dataverse date column with UserLocal behaviour (stored and
   * returned in UTC): the IANA time zone its dates are entered in (`Europe/Oslo`). The
   * portal adapter writes the zone's midnight and reads the zone's calendar date.
   */
  readonly timeZone?: string;
}

/**
 * What a deletion on one side does to the surviving partner:
 * - `delete`: delete it too (on the portal only with `portal.allowDelete`);
 * - `unlink`: drop the link, leave the record;
 * - `retire`: write `deletePolicy.retire.<side>` on it, clear its link field, drop the link;
 * - `deactivate`: the Dataverse statecode/statuscode pair (inactive), drop the link (portal only).
 */
export type DeleteAction = "delete" | "unlink" | "retire" | "deactivate";

/** Values in one side's own shape: portal columns, or Meander dot paths. */
export type SideValues = Readonly<Record<string, Scalar>>;

export interface SyncConfig {
  readonly id: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly direction: Direction;
  readonly meander: {
    readonly entity: string;
    readonly linkField?: string;
    readonly scope: readonly ScopeFilter[];
    /** Filters an unlinked record must pass to be matched or created (e.g. a retired likeperson without a partner is left alone). */
    readonly matchScope?: readonly ScopeFilter[];
  };
  readonly portal: {
    readonly entity: string;
    readonly idField: string;
    readonly linkField?: string;
    readonly alternateKey?: string;
    readonly scope: readonly ScopeFilter[];
    /**
     * The column naming the record a merged-away record was merged into (Dataverse `masterid`,
     * read as `_masterid_value`). A linked record that left scope with it set is followed: the link
     * moves to the surviving record (shared/sync/merges.ts); of the merged-away one only its link
     * field is written (cleared: the survivor takes the key).
     */
    readonly masterField?: string;
    /** The table's logical name (`contact`), for links that open a record in Dynamics. */
    readonly logicalName?: string;
    /** A portal record may be deleted by the sync only when this is true (default false). */
    readonly allowDelete?: boolean;
    /**
     * Whether a Meander record with no match is created on the portal. When false it is
     * parked as an `unmatched` review item. Default: false for `contacts` (the member register), true otherwise.
     */
    readonly createUnmatched?: boolean;
    /**
     * Filters an unlinked record must pass to take part in matching at all: to be matched, to be
     * a candidate, to be created from (HLF: active contacts only, and not a retired likeperson).
     */
    readonly matchScope?: readonly ScopeFilter[];
  };
  readonly matchKeys: readonly MatchKeyConfig[];
  readonly fields: readonly FieldConfig[];
  /** Meander paths of mapped fields a review item shows for each record, to tell people apart (name, member number, e-mail, chapter). */
  readonly reviewFields?: readonly string[];
  readonly conflictPolicy: Owner;
  readonly deletePolicy: {
    readonly meanderDeleted: DeleteAction;
    readonly portalDeleted: DeleteAction;
    /** The values `retire` writes on the surviving side, in that side's shape. */
    readonly retire?: { readonly portal?: SideValues; readonly meander?: SideValues };
  };
  /**
   * When a linked record leaves its side's scope (a contact deactivated or its likeperson
   * status cleared), the values written on the other side before the pair is unlinked,
   * keyed by the side that receives them. Without an entry the pair is only unlinked.
   */
  readonly scopeExit?: { readonly portal?: SideValues; readonly meander?: SideValues };
  readonly massDeleteGuard: { readonly maxDeletes: number; readonly maxPercent: number };
}
