/**
 * What the triggers (timer, HTTP, CLI) call. One instance per process, built by
 * the composition root; handlers never reach Table Storage or Dataverse directly.
 */
import type { Scalar, Side, SyncResult, SyncRun, Trigger } from "./core/types.js";
import type { ConflictRecord, ConflictStatus, LedgerEntry } from "./ports.js";

export interface RunOptions {
  readonly trigger: Trigger;
  /** Plan only: read both sides, return the plan, write nothing. */
  readonly dryRun?: boolean;
}

export interface ResolutionInput {
  /** Take one side's values for every field of the conflict, or give the values. */
  readonly choice: Side | "value";
  /** With choice "value": the canonical value per conflicting field. */
  readonly values?: Readonly<Record<string, Scalar>>;
  /** Who decided (from the caller's identity), kept with the resolution. */
  readonly resolvedBy?: string;
}

/** A config as the admin UI sees it: no secrets, no connection details. */
export interface ConfigSummary {
  readonly id: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly direction: "both" | "toPortal" | "toMeander";
  readonly meanderEntity: string;
  readonly portalEntity: string;
  /** `master`: the side whose value counts (the other side shows it read-only); null for a two-way field decided by `newest` or a person. */
  readonly fields: readonly { meander: string; portal: string; direction: string; owner: string; master: "portal" | "meander" | null }[];
  /** `autoCouple`: whether one hit on the key couples on its own (else a person confirms). */
  readonly matchKeys: readonly { meander: string; portal: string; autoCouple: boolean }[];
}

export interface SyncService {
  /** Runs one config. Throws UnknownConfigError, AlreadyRunningError (409). */
  runSync(configId: string, options: RunOptions): Promise<SyncResult>;
  /** Newest first. Throws UnknownConfigError. */
  getSyncHistory(configId: string, limit: number): Promise<SyncRun[]>;
  getRun(configId: string, runId: string): Promise<SyncRun | undefined>;
  listConflicts(configId: string, status?: ConflictStatus): Promise<ConflictRecord[]>;
  /** Records a decision; the next run applies it. Throws NotFoundError, ConflictStateError (already resolved), ValidationError. */
  resolveConflict(configId: string, conflictId: string, input: ResolutionInput): Promise<ConflictRecord>;
  listConfigs(): readonly ConfigSummary[];
  /** The ids of enabled configs, in the order the timer runs them. */
  enabledConfigIds(): readonly string[];
  /**
   * The config checked against the portal's live metadata (columns, choices, dates, key,
   * change tracking, lookups). Throws UnknownConfigError. Absent where no portal metadata exists.
   */
  checkSchema?(configId: string): Promise<readonly SchemaFinding[]>;
}

/** One finding of the schema check: table and column named, never a record's data. */
export interface SchemaFinding {
  readonly level: "error" | "note";
  readonly config: string;
  readonly table: string;
  readonly column?: string;
  readonly message: string;
}

/** One config at a glance, for the review console's overview. */
export interface ConfigOverview {
  readonly configId: string;
  readonly enabled: boolean;
  /** The newest recorded run (dry runs are not recorded). */
  readonly lastRun?: SyncRun;
  /** The timer's NCRONTAB (UTC) and when it fires next; absent for a disabled config. */
  readonly schedule: string;
  readonly nextTimerRun?: string;
  /** Review items (conflicts) waiting for a person. */
  readonly openReviewItems: number;
  /** Records waiting in the retry ledger. */
  readonly ledgerSize: number;
}

/** Reads the review console needs besides the SyncService's own. */
export interface AdminQueries {
  /** The retry ledger, most recently failed first. Throws UnknownConfigError. */
  listLedger(configId: string): Promise<LedgerEntry[]>;
  /** Throws UnknownConfigError. */
  getOverview(configId: string): Promise<ConfigOverview>;
}

/** What the admin API serves. */
export type AdminService = SyncService & AdminQueries;
