/**
 * The interfaces the sync core needs from the outside world. Adapters implement
 * them; one composition root builds the real ones once per process.
 */
import type { Link, RunError, Scalar, Side, SideRecord, SyncRun } from "./core/types.js";
import type { SyncErrorInfo } from "./errors.js";

// ---------------------------------------------------------------- the two systems

/** One page of a change feed. */
export interface ChangePage {
  /** Records created or changed since the cursor (the side's own shape). */
  readonly records: readonly SideRecord[];
  /** Ids deleted since the cursor. */
  readonly deletedIds: readonly string[];
  /**
   * Where to resume after this page. On the last page of a feed this is the
   * cursor for the next run (Dataverse delta link, Meander feed cursor).
   */
  readonly cursor: string;
  /** True on the last page: the feed is drained up to `cursor`. */
  readonly final: boolean;
  /** True when the stored cursor was expired or invalid and this is a full read instead. */
  readonly fullResync?: boolean;
  /** Records the feed delivered that `ReadOptions.unchanged` accepted, left out of `records`. */
  readonly leftOut?: number;
}

export interface ReadOptions {
  /** Records per page; the side may cap it. */
  readonly pageSize?: number;
  /** Columns/fields to read; the side reads everything mapped when omitted. */
  readonly select?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * For change feeds: true for a record the caller holds at exactly this version (the run's
   * own write coming back, shared/sync/echo.ts). The side may leave such records out of the
   * page and read nothing more of them; it must keep every record this does not accept.
   * `fullRead`: the page belongs to a full read the side started itself (the stored cursor was
   * expired or refused), which the caller may judge differently.
   */
  readonly unchanged?: (id: string, version: string | undefined, fullRead: boolean) => boolean;
  /**
   * For change feeds read from a stored cursor: a side whose feed is narrowed (it reads the
   * in-scope records of each page again by id, with every mapped column) may hand those records
   * over unread instead, marked `SideRecord.narrow`, for the caller to read by id when it needs
   * them (so one read serves them and other records the caller wants). A full read (no cursor,
   * or a refused one: `fullResync`) still reads them at once. Sides without a narrowed feed
   * ignore it.
   */
  readonly deferFullRead?: boolean;
}

export type WriteOp =
  | {
      readonly op: "create";
      /** Correlates the outcome; unique within one call. */
      readonly ref: string;
      readonly data: Readonly<Record<string, unknown>>;
      /**
       * Makes the create idempotent: create-or-update the record whose `field`
       * holds `value` (Dataverse upsert by alternate key; Meander externalRef).
       */
      readonly upsertKey?: { readonly field: string; readonly value: string };
    }
  | {
      readonly op: "update";
      readonly ref: string;
      readonly id: string;
      readonly data: Readonly<Record<string, unknown>>;
      /** The version we planned against; a mismatch fails this record only (412). */
      readonly ifMatch?: string;
    }
  | { readonly op: "delete"; readonly ref: string; readonly id: string; readonly ifMatch?: string };

export type WriteOutcome =
  | { readonly ref: string; readonly ok: true; readonly id: string; readonly version?: string }
  | { readonly ref: string; readonly ok: false; readonly error: SyncErrorInfo };

/** One system as the core sees it. Entity names are the config's (`contacts`, `likepersons`...). */
export interface RecordSide {
  readonly side: Side;
  /** Pages of changes since `cursor` (undefined: a full read). Transient failures are retried inside. */
  readChanges(entity: string, cursor: string | undefined, options?: ReadOptions): AsyncIterable<ChangePage>;
  /** Current records by id; ids that no longer exist are simply absent. */
  getByIds(entity: string, ids: readonly string[], options?: ReadOptions): Promise<SideRecord[]>;
  /** How many ids one request of `getByIds` carries with every mapped column, where the side splits such reads (undefined: no limit). */
  idsPerRead?(entity: string): number | undefined;
  /**
   * Records whose `field` equals any of `values` (case-insensitive for strings,
   * as Dataverse compares). Values are escaped by the adapter, never trusted.
   */
  findByField(entity: string, field: string, values: readonly Scalar[], options?: ReadOptions): Promise<SideRecord[]>;
  /** Batched writes; one failing record never fails the others. Fatal errors throw. */
  write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]>;
}

// ---------------------------------------------------------------- state in Table Storage

export interface CursorState {
  /** Where the next run reads from; undefined: never read (full read). */
  readonly cursor?: string;
  /** Mid-feed position saved when a run stopped early (time budget); resumes the same feed. */
  readonly checkpoint?: string;
  readonly updatedAt: string;
}

export interface LedgerEntry {
  readonly side: Side;
  /** The id of the record on `side` whose change could not be applied. */
  readonly recordId: string;
  readonly attempts: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly lastError: SyncErrorInfo;
  /**
   * Consecutive runs in which this record's write failed with the same transient error while
   * other writes went through. At 3 it counts as a record-level failure: the run goes on.
   */
  readonly transientRuns?: number;
  /**
   * Set when the record waits for records another config has not coupled yet (its lookup
   * target, `LOOKUP_UNRESOLVED`): it is retried when that config couples records (or once a day),
   * not every run, and waiting spends none of its attempts (shared/sync/waiting.ts).
   */
  readonly waitingFor?: readonly LookupTarget[];
}

/** A record a lookup field refers to: its Meander id in the config whose links resolve it. */
export interface LookupTarget {
  readonly config: string;
  readonly id: string;
}

export type ConflictStatus = "open" | "resolved";

/**
 * What a review item is about:
 * - `fieldConflict`: a field changed on both sides to different values, owner `manual`;
 * - `ambiguous`: several candidates on the other side; nothing coupled or created;
 * - `unmatched`: no candidate, and the other side may not get a record without a person;
 * - `confirmMatch`: one candidate by a key that may not couple on its own (e-mail);
 * - `oscillation`: a field that keeps flipping between the same values; no longer written.
 * Items stored before the kinds were named keep `field` (read as `fieldConflict`).
 */
export type ReviewKind = "fieldConflict" | "ambiguous" | "unmatched" | "confirmMatch" | "oscillation";

/**
 * The values a person needs to tell records apart without opening either system. Held
 * only while the item is open: resolving erases everything but `side`, `id` and `url`.
 */
export interface ReviewParty {
  readonly side: Side;
  readonly id: string;
  /** Opens the record in its own system (Dynamics from DATAVERSE_URL; Meander from MEANDER_RECORD_URL). */
  readonly url?: string;
  /** Distinguishing values by Meander field path (config `reviewFields`), canonical. */
  readonly values?: Readonly<Record<string, Scalar>>;
  /** Whether the record may be matched (an active contact), when the side has a match scope. */
  readonly active?: boolean;
}

export interface ConflictRecord {
  readonly conflictId: string;
  readonly configId: string;
  readonly kind: ReviewKind | "field";
  readonly meanderId?: string;
  readonly portalId?: string;
  /** For field conflicts and oscillations, per field: base, Meander and portal values (canonical; null once resolved). */
  readonly fields: readonly {
    readonly field: string;
    readonly base: Scalar | undefined;
    readonly meander: Scalar;
    readonly portal: Scalar;
  }[];
  /** For ambiguous matches and confirmMatch: the candidate ids on the other side. */
  readonly candidates?: readonly string[];
  /** The match key (its Meander field path) that found the candidates. */
  readonly matchKey?: string;
  /** The record the item is about. */
  readonly subject?: ReviewParty;
  /** Each candidate, in `candidates` order. */
  readonly candidateDetails?: readonly ReviewParty[];
  /** Set when a record with no match carries a membership number: only then may a person ask for a new record. */
  readonly hasMemberNumber?: boolean;
  readonly detectedAt: string;
  readonly status: ConflictStatus;
  readonly resolution?: {
    readonly choice: Side | "value";
    readonly values: Readonly<Record<string, Scalar>>;
    readonly resolvedAt: string;
    readonly resolvedBy?: string;
    /** Set once a run applied the resolution to both sides (its values are then erased). */
    readonly appliedAt?: string;
  };
}

/** Old items stored kind `field`; everything else reads them as `fieldConflict`. */
export const reviewKindOf = (c: Pick<ConflictRecord, "kind">): ReviewKind => (c.kind === "field" ? "fieldConflict" : c.kind);

export interface LinkStore {
  /** Links for any of these ids (each link appears once). */
  getLinks(configId: string, refs: readonly { side: Side; id: string }[]): Promise<Link[]>;
  /** `fresh`: those of `links` whose pair had no link when the run read it (their rows are created; one found to exist is replaced). */
  putLinks(configId: string, links: readonly Link[], options?: { readonly fresh?: ReadonlySet<Link> }): Promise<void>;
  deleteLinks(configId: string, links: readonly Pick<Link, "meanderId" | "portalId">[]): Promise<void>;
  /** Every link of a config (paged internally); used by the mass-delete guard and tests. */
  listLinks(configId: string): AsyncIterable<Link>;
}

export interface LedgerStore {
  listLedger(configId: string): Promise<LedgerEntry[]>;
  putLedger(configId: string, entries: readonly LedgerEntry[]): Promise<void>;
  deleteLedger(configId: string, keys: readonly { side: Side; recordId: string }[]): Promise<void>;
}

export interface ConflictStore {
  listConflicts(configId: string, status?: ConflictStatus): Promise<ConflictRecord[]>;
  getConflict(configId: string, conflictId: string): Promise<ConflictRecord | undefined>;
  /** Insert or replace by conflictId. */
  putConflicts(configId: string, conflicts: readonly ConflictRecord[]): Promise<void>;
  /** Deletes resolved items resolved before `before` (retention); returns how many. */
  purgeConflicts?(configId: string, before: Date): Promise<number>;
}

export type StateStore = LinkStore & LedgerStore & ConflictStore;

export interface RunStore {
  /** Writes the run row (insert or replace). */
  saveRun(run: SyncRun): Promise<void>;
  /** Newest first. */
  listRuns(configId: string, limit: number): Promise<SyncRun[]>;
  getRun(configId: string, runId: string): Promise<SyncRun | undefined>;
  /** Deletes runs that started before `before`; returns how many. */
  purgeRuns(configId: string, before: Date): Promise<number>;
}

export interface Lease {
  readonly configId: string;
  readonly runId: string;
  readonly expiresAt: Date;
  /** Opaque concurrency token of the lease row. */
  readonly etag: string;
}

/**
 * What one run's own writes left on one side, remembered for the next run (shared/sync/echo.ts):
 * record ids and versions only, no values.
 */
export interface ExpectedEchoes {
  /** Record id -> the version the run's write answered (also for records it wrote and then unlinked). */
  readonly versions?: Readonly<Record<string, string>>;
  /** Records the run deleted: their tombstones are its own. */
  readonly deleted?: readonly string[];
}

/**
 * What a config's lease row carries besides the lease: the feed cursors and a little
 * bookkeeping. Kept on the lease row so that a checkpoint is written atomically with the
 * lease check (a run that lost its lease cannot move a cursor) and an idle run needs
 * very few Table Storage operations.
 */
export interface ConfigControl {
  readonly cursors?: Partial<Record<Side, CursorState>>;
  /** Entries in the retry ledger after the last run (0: no need to list it). */
  readonly ledgerSize?: number;
  /** Of those, entries the next run retries (0: listed only when the waiting ones are due a look). */
  readonly ledgerDue?: number;
  /** Of those, entries waiting for a lookup target (`LedgerEntry.waitingFor`). */
  readonly ledgerWaiting?: number;
  /**
   * Bumped by every run that coupled or re-coupled records (new links): the configs whose lookups
   * read this config's links tell from it that a waiting record may resolve now.
   */
  readonly couplings?: number;
  /** The lookup configs' `couplings` when this config last looked at its waiting records, and when. */
  readonly lookupsSeen?: { readonly couplings: Readonly<Record<string, number>>; readonly checkedAt: string };
  readonly lastPurgeAt?: string;
  /** When every link of the config was last seen with fingerprinted baselines (shared/sync/baselineSweep.ts). */
  readonly baselinesFingerprintedAt?: string;
  /** The last run's own writes, which the next run's feeds bring back (instead of a second read in that run). */
  readonly echoes?: Partial<Record<Side, ExpectedEchoes>>;
}

export type AcquireResult =
  | {
      readonly acquired: true;
      readonly lease: Lease;
      readonly control?: ConfigControl;
      /** The run whose lease expired without a release (it crashed or was stopped), if any. */
      readonly tookOverFrom?: string;
      /** The control state of each config asked for in `peers` that has a row (read with the lease row, not a request more). */
      readonly peers?: Readonly<Record<string, ConfigControl>>;
    }
  | { readonly acquired: false; readonly heldBy: string; readonly expiresAt: Date };

export interface LockStore {
  /** Takes the config's lease if free or expired (conditional write); reads the `peers`' control state with it. */
  acquire(configId: string, runId: string, leaseMs: number, peers?: readonly string[]): Promise<AcquireResult>;
  /** Extends the lease; returns undefined when another run holds it now (the caller must stop writing). */
  renew(lease: Lease, leaseMs: number, control?: ConfigControl): Promise<Lease | undefined>;
  /** Releases the lease if still ours, storing `control` with it; false when it was no longer ours. */
  release(lease: Lease, control?: ConfigControl): Promise<boolean>;
  /** The control part of the row without taking the lease (for dry runs and the admin API). */
  readControl?(configId: string): Promise<ConfigControl | undefined>;
}

// ---------------------------------------------------------------- the rest of the edge

export interface SecretSource {
  /** A named secret; cached. `fresh` re-reads it (after a 401: rotation). */
  getSecret(name: string, options?: { fresh?: boolean }): Promise<string>;
}

export interface TokenSource {
  /** A bearer token for `scope`; cached until near expiry. */
  getToken(scope: string): Promise<string>;
}

export interface Clock {
  now(): Date;
}

export type LogProperties = Readonly<Record<string, string | number | boolean | undefined>>;

/** Structured, personal-data-free logging. Properties become customDimensions in Application Insights. */
export interface Logger {
  info(message: string, properties?: LogProperties): void;
  warn(message: string, properties?: LogProperties): void;
  error(message: string, properties?: LogProperties): void;
}

export type { RunError };
