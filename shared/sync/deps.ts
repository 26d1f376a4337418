import type { CompiledConfig } from "../core/compile.js";
import type { Fingerprinter } from "../core/fingerprint.js";
import type { Side } from "../core/types.js";
import type { Clock, LockStore, Logger, RecordSide, RunStore, StateStore } from "../ports.js";

/** Run limits, from settings (defaults chosen by measurement, see README). */
export interface EngineSettings {
  /** Budget of a timer or CLI run; below the function timeout. */
  readonly timeBudgetMs: number;
  /** Budget of a run started over HTTP; below the 230 s HTTP limit. */
  readonly httpTimeBudgetMs: number;
  readonly pageSize: number;
  readonly leaseMs: number;
  /** Attempts after which a ledger entry is no longer retried automatically (it stays visible). */
  readonly ledgerMaxAttempts: number;
  readonly retentionDays: number;
  /** Links in review items: the Dataverse environment, and Meander's record URL template (`{entity}`, `{id}`). */
  readonly recordUrls?: { readonly dataverseUrl?: string; readonly meanderTemplate?: string };
}

export interface EngineDeps {
  readonly configs: ReadonlyMap<string, CompiledConfig>;
  readonly sides: Readonly<Record<Side, RecordSide>>;
  readonly state: StateStore;
  readonly runs: RunStore;
  readonly locks: LockStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: EngineSettings;
  readonly newRunId?: () => string;
  /** Keyed fingerprints for the links' baselines (shared/core/fingerprint.ts); without it baselines are stored as values. */
  readonly baselineFingerprint?: Fingerprinter;
  /**
   * Awaited at named points of a run. Crash-safety tests make it never resolve
   * (the run dies there, holding its lease) and start the next run.
   */
  readonly pause?: (point: string) => Promise<void> | void;
  /** Records per side a run that wrote remembers as its echoes instead of reading its feeds again (echo.ts; default 300). */
  readonly echoMemoryLimit?: number;
}
