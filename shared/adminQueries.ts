/**
 * The reads behind the review console's overview and retry-ledger pages. They only read
 * the stores the engine writes (runs, conflicts, ledger), so they sit beside the
 * SyncService rather than inside the engine.
 */
import { Cron } from "croner";
import { UnknownConfigError } from "./errors.js";
import type { Clock, ConflictStore, LedgerStore, RunStore } from "./ports.js";
import type { AdminQueries, ConfigOverview } from "./service.js";

export interface AdminQueryDeps {
  /** Config id → whether the timer runs it. */
  readonly enabled: ReadonlyMap<string, boolean>;
  readonly runs: Pick<RunStore, "listRuns">;
  readonly state: Pick<LedgerStore, "listLedger"> & Pick<ConflictStore, "listConflicts">;
  readonly clock: Clock;
  /** The timer's NCRONTAB with seconds (SYNC_SCHEDULE), read in UTC as the Functions host does. */
  readonly schedule: string;
}

export function createAdminQueries(deps: AdminQueryDeps): AdminQueries {
  const known = (configId: string): boolean => {
    const enabled = deps.enabled.get(configId);
    if (enabled === undefined) throw new UnknownConfigError(configId);
    return enabled;
  };
  // croner reads a six-part pattern as seconds first, like NCRONTAB.
  const cron = new Cron(deps.schedule, { timezone: "UTC", paused: true });

  return {
    async listLedger(configId) {
      known(configId);
      const entries = await deps.state.listLedger(configId);
      return [...entries].sort((a, b) => b.lastFailedAt.localeCompare(a.lastFailedAt));
    },

    async getOverview(configId): Promise<ConfigOverview> {
      const enabled = known(configId);
      const [runs, open, ledger] = await Promise.all([
        deps.runs.listRuns(configId, 1),
        deps.state.listConflicts(configId, "open"),
        deps.state.listLedger(configId),
      ]);
      const next = enabled ? cron.nextRun(deps.clock.now()) : null;
      return {
        configId,
        enabled,
        ...(runs[0] ? { lastRun: runs[0] } : {}),
        schedule: deps.schedule,
        ...(next ? { nextTimerRun: next.toISOString() } : {}),
        openReviewItems: open.length,
        ledgerSize: ledger.length,
      };
    },
  };
}
