/**
 * The vocabulary of the sync core. Pure data: no I/O, no classes.
 *
 * Two systems take part in every config: "meander" (the peer-support platform)
 * and "portal" (HLF's Min Side on Dataverse).
 */

export type Side = "meander" | "portal";
export const SIDES: readonly Side[] = ["meander", "portal"];
export const otherSide = (side: Side): Side => (side === "meander" ? "portal" : "meander");

export type Direction = "both" | "toPortal" | "toMeander";
export type Owner = "portal" | "meander" | "newest" | "manual";
export type TransformName = "trim" | "lowercase" | "uppercase" | "phone" | "dateOnly" | "number" | "boolean";
export type Scalar = string | number | boolean | null;

/** A one-way field mapping. `source` may be a dot path into nested data; so may `target`. */
export interface FieldMapping {
  source: string;
  target: string;
  transform?: TransformName | readonly TransformName[];
  /** Source value (as a string key) to target value. */
  valueMap?: Readonly<Record<string, Scalar>>;
  /** Used when the source value is missing (undefined, null or empty string). */
  default?: unknown;
  /** A missing value with no default is a MappingError naming the field. */
  required?: boolean;
}

/** A record as one side holds it. `data` is that side's own shape (Meander: nested JSON; portal: columns). */
export interface SideRecord {
  readonly id: string;
  /** Optimistic-concurrency token: Dataverse @odata.etag, Meander version. */
  readonly version?: string;
  /** ISO 8601 time of the last change on that side (for the `newest` owner policy). */
  readonly modifiedOn?: string;
  readonly data: Readonly<Record<string, unknown>>;
  /**
   * Set on a record a narrowed change feed handed over with its scope columns only, its mapped
   * columns still to read (`ReadOptions.deferFullRead`): the run reads it by id before pairing
   * it (shared/sync/fullReads.ts). Never stored, never planned.
   */
  readonly narrow?: true;
}

/** What a side's change feed says about one record in this run. */
export type SideView =
  /** No record on this side: no link and no match (the planner creates the partner). */
  | { readonly state: "absent" }
  /** Linked and not in this run's changes: its values equal the link's baseline. */
  | { readonly state: "unchanged" }
  | { readonly state: "present"; readonly record: SideRecord }
  | { readonly state: "deleted"; readonly id: string }
  /** Present but outside the config's scope filter (e.g. a contact whose likeperson status was cleared). */
  | { readonly state: "outOfScope"; readonly record: SideRecord };

/**
 * Canonical values of the mapped fields, keyed by field key (the Meander path of the mapping).
 * Canonical means: in Meander's value space, after the mapping's transforms.
 */
export type Canonical = Readonly<Record<string, Scalar>>;

/** The stored coupling of two records and the values both sides last agreed on. */
export interface Link {
  readonly meanderId: string;
  readonly portalId: string;
  readonly baseline: Canonical;
  readonly meanderVersion?: string;
  readonly portalVersion?: string;
  /** ISO time the pair was last written or confirmed in step. */
  readonly syncedAt?: string;
  /**
   * Fields with a parked (manual) conflict. The planner leaves their baseline unset, so a
   * side that is "unchanged" has an unknown value for them and nothing is written there
   * until both sides agree or a resolution arrives. Worth storing (it also covers a
   * baseline that still holds a value), but the planner is safe without it.
   */
  readonly parked?: readonly string[];
  /**
   * The loop guard's state per field written lately (core/oscillation.ts): fingerprints of the
   * values last written to each side, never the values. A field parked as oscillating is in
   * `parked` too.
   */
  readonly loops?: Loops;
}

/**
 * One field's loop-guard state (core/oscillation.ts): the fingerprints of the values last
 * written to each side, the flips in a row, and when the field was last written.
 */
export interface LoopEntry {
  readonly m?: string;
  readonly p?: string;
  readonly n: number;
  readonly at: string;
}

export type Loops = Readonly<Record<string, LoopEntry>>;

/** A conflict a person decided: the value both sides get (canonical space). */
export interface Resolution {
  readonly field: string;
  readonly value: Scalar;
}

export interface FieldConflict {
  readonly field: string;
  readonly base: Scalar | undefined;
  readonly meander: Scalar;
  readonly portal: Scalar;
}

export interface ResolvedConflict extends FieldConflict {
  readonly winner: Side;
  readonly owner: Exclude<Owner, "manual">;
}

/** One write the plan asks of a side. `fields` are in the target side's own shape. */
export type Action =
  | { readonly kind: "create"; readonly side: Side; readonly fields: Readonly<Record<string, unknown>> }
  | {
      readonly kind: "update";
      readonly side: Side;
      readonly id: string;
      readonly ifMatch?: string;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: "delete"; readonly side: Side; readonly id: string; readonly ifMatch?: string };

export type PairOutcome =
  | "noop" // nothing to do, link (if any) kept
  | "sync" // writes to one or both sides
  | "couple" // first coupling of two existing records (may also write)
  | "create" // the partner is created on the other side
  | "delete" // a deletion propagates
  | "unlink" // the pair is uncoupled, nothing deleted
  | "conflict" // parked conflicts (other fields may still flow)
  | "ambiguous" // several candidates: parked, nothing created
  | "unmatched" // no candidate, and the target may not be created without a person: parked
  | "confirmMatch" // one candidate by a key that may not couple on its own: parked for a person
  | "retire" // the partner was deleted: the survivor is marked retired and unlinked
  | "deactivate" // the partner was deleted: the survivor (Dataverse) is set inactive and unlinked
  | "skip"; // out of scope and never linked, or deleted and never linked

/** The plan for one pair of records: a pure function of its inputs. */
export interface PairPlan {
  /** Stable key of the pair: `m:<meanderId>` when known, else `p:<portalId>`. */
  readonly key: string;
  readonly meanderId?: string;
  readonly portalId?: string;
  readonly outcome: PairOutcome;
  readonly actions: readonly Action[];
  readonly parked: readonly FieldConflict[];
  readonly resolved: readonly ResolvedConflict[];
  /** Names of the canonical fields that changed per target side (for dry-run reports). */
  readonly changedFields: Readonly<Partial<Record<Side, readonly string[]>>>;
  /**
   * The link to store once every action succeeded. `null` removes the link;
   * `undefined` leaves the stored link as it is.
   */
  readonly nextLink: Omit<Link, "meanderId" | "portalId"> | null | undefined;
  /** Why a pair is skipped or unlinked, as a code for operators (no personal data), e.g. "OUT_OF_SCOPE", "PARTNER_GONE". */
  readonly reason?: string;
  /** Fields of a one-way mapping whose target had drifted from its master and is put back, per target side. */
  readonly reasserted?: Readonly<Partial<Record<Side, readonly string[]>>>;
  /** A linked portal record merged into another: the surviving record the Meander record is to be coupled with next. */
  readonly followMerge?: { readonly meanderId: string; readonly masterId: string };
  /** Fields the loop guard holds parked, with both sides' values now (canonical), for an `oscillation` review item. */
  readonly oscillating?: readonly FieldConflict[];
  /** For `confirmMatch`: the candidate and the match key (its Meander path) that found it. */
  readonly candidate?: { readonly id: string; readonly by: string };
}

export type RunStatus = "running" | "succeeded" | "partial" | "incomplete" | "failed";
export type Trigger = "timer" | "manual" | "cli";

export interface SideCounts {
  read: number;
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  failed: number;
  /** Portal-mastered (or Meander-mastered) values the other side had changed, put back. */
  reasserted: number;
  /** Records retired or deactivated because their partner was deleted (never hard-deleted). */
  retired: number;
  deactivated: number;
}

/** One failed record or run-level failure in a run record: ids and codes only, never personal data. */
export interface RunError {
  readonly side?: Side;
  readonly recordId?: string;
  readonly code: string;
  readonly status?: number;
  /** A message free of personal data (field names, codes, counts). */
  readonly message: string;
}

export interface SyncResult {
  runId: string;
  configId: string;
  trigger: Trigger;
  dryRun: boolean;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  counts: Record<Side, SideCounts>;
  /** Review items: found this run, settled by owner, decisions applied, open after the run (and open per kind). */
  conflicts: {
    found: number;
    autoResolved: number;
    resolved: number;
    open: number;
    openByKind?: Record<string, number>;
    /** Fields the loop guard parked this run (a value flipping between the same values), when any. */
    oscillations?: number;
  };
  /** The retry ledger after the run; `waiting`: entries waiting for a lookup target (LOOKUP_UNRESOLVED), when any. */
  ledger: { size: number; retried: number; recovered: number; waiting?: number };
  /** Errors, truncated; `errorCount` is the full number. */
  errors: RunError[];
  errorCount: number;
  /** Notes for operators, e.g. "portal delta token expired: full read". No personal data. */
  notes: string[];
  /** Present on dry runs: what a real run would do. */
  plan?: DryRunPlan;
}

/** One row of history. */
export type SyncRun = SyncResult;

export interface DryRunPlan {
  creates: { side: Side; sourceId: string }[];
  updates: { side: Side; id: string; fields: string[] }[];
  deletes: { side: Side; id: string }[];
  conflicts: { meanderId?: string; portalId?: string; fields: string[]; kind: "field" | "ambiguous" | "unmatched" | "confirmMatch" | "oscillation" }[];
  massDeleteBlocked: boolean;
}

export const emptyCounts = (): SideCounts => ({
  read: 0,
  created: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  reasserted: 0,
  retired: 0,
  deactivated: 0,
});
