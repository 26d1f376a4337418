/**
 * The shape of a sync config (DESIGN §3) as the core uses it. The zod schema in
 * shared/config/syncConfig.ts validates files into this shape.
 */
import type { Direction, Owner, Scalar, TransformName } from "./types.js";

export type ScopeFilter =
  | { readonly field: string; readonly op: "notNull" }
  | { readonly field: string; readonly op: "eq"; readonly value: Scalar }
  | { readonly field: string; readonly op: "in"; readonly values: readonly Scalar[] };

export type KeyNormalizer = "memberNumber" | "email" | "phone" | "none";

export interface MatchKeyConfig {
  readonly meander: string;
  readonly portal: string;
  readonly normalize: KeyNormalizer;
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

export type DeleteAction = "delete" | "unlink";

export interface SyncConfig {
  readonly id: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly direction: Direction;
  readonly meander: { readonly entity: string; readonly linkField?: string; readonly scope: readonly ScopeFilter[] };
  readonly portal: {
    readonly entity: string;
    readonly idField: string;
    readonly linkField?: string;
    readonly alternateKey?: string;
    readonly scope: readonly ScopeFilter[];
  };
  readonly matchKeys: readonly MatchKeyConfig[];
  readonly fields: readonly FieldConfig[];
  readonly conflictPolicy: Owner;
  readonly deletePolicy: { readonly meanderDeleted: DeleteAction; readonly portalDeleted: DeleteAction };
  readonly massDeleteGuard: { readonly maxDeletes: number; readonly maxPercent: number };
}
