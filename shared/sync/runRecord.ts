/**
 * Accumulates what a run did into the record operators and the admin UI read.
 * Ids and codes only: nothing here ever holds a member's personal data.
 */
import type { RunError, RunStatus, Side, SyncResult, Trigger } from "../core/types.js";
import { emptyCounts } from "../core/types.js";
import type { SyncErrorInfo } from "../errors.js";

/** Errors kept in full on a run record; the rest are counted. Keeps the entity far below Table limits. */
export const MAX_RUN_ERRORS = 100;

export class RunTracker {
  readonly result: SyncResult;
  private stoppedEarly = false;

  constructor(runId: string, configId: string, trigger: Trigger, dryRun: boolean, startedAt: Date) {
    this.result = {
      runId,
      configId,
      trigger,
      dryRun,
      status: "running",
      startedAt: startedAt.toISOString(),
      counts: { meander: emptyCounts(), portal: emptyCounts() },
      conflicts: { found: 0, autoResolved: 0, resolved: 0, open: 0 },
      ledger: { size: 0, retried: 0, recovered: 0 },
      errors: [],
      errorCount: 0,
      notes: [],
    };
  }

  count(side: Side, what: keyof SyncResult["counts"]["meander"], n = 1): void {
    this.result.counts[side][what] += n;
  }

  error(error: RunError): void {
    this.result.errorCount += 1;
    if (this.result.errors.length < MAX_RUN_ERRORS) this.result.errors.push(error);
  }

  recordFailure(side: Side | undefined, recordId: string | undefined, info: SyncErrorInfo): void {
    this.error({
      ...(side ? { side } : {}),
      ...(recordId ? { recordId } : {}),
      code: info.code,
      ...(info.status ? { status: info.status } : {}),
      message: info.message,
    });
  }

  note(text: string): void {
    if (!this.result.notes.includes(text)) this.result.notes.push(text);
  }

  /** The run stopped before draining its feeds (time budget, throttling, an outage): the next run goes on. */
  stopEarly(reason: string): void {
    this.stoppedEarly = true;
    this.note(reason);
  }

  get isStoppedEarly(): boolean {
    return this.stoppedEarly;
  }

  finish(finishedAt: Date, fatal?: SyncErrorInfo): SyncResult {
    const r = this.result;
    if (fatal) this.recordFailure(undefined, undefined, fatal);
    r.finishedAt = finishedAt.toISOString();
    r.durationMs = finishedAt.getTime() - Date.parse(r.startedAt);
    r.status = statusOf(Boolean(fatal), this.stoppedEarly, r);
    return r;
  }
}

function statusOf(fatal: boolean, stoppedEarly: boolean, r: SyncResult): RunStatus {
  if (fatal) return "failed";
  if (stoppedEarly) return "incomplete";
  const failed = r.counts.meander.failed + r.counts.portal.failed;
  return failed > 0 || r.errorCount > 0 ? "partial" : "succeeded";
}
