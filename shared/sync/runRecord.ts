/**
 * Accumulates what a run did into the record operators and the admin UI read. The only
 * writer of that record: the engine's parts report to it, none of them touches the result.
 * Ids and codes only: nothing here ever holds a member's personal data.
 */
import { summarizePlans } from "../core/planSummary.js";
import type { PairPlan, RunError, RunStatus, Side, SyncResult, Trigger } from "../core/types.js";
import { emptyCounts } from "../core/types.js";
import type { SyncErrorInfo } from "../errors.js";

/** Errors kept in full on a run record; the rest are counted. Keeps the entity far below Table limits. */
export const MAX_RUN_ERRORS = 100;

type Count = keyof SyncResult["counts"]["meander"];

export class RunTracker {
  private readonly record: SyncResult;
  private stoppedEarly = false;
  /** A dry run's plans, summarised into the record when it finishes. */
  private readonly plans: PairPlan[] = [];

  constructor(runId: string, configId: string, trigger: Trigger, dryRun: boolean, startedAt: Date) {
    this.record = {
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

  /** The record as it stands (read-only to callers: report through the methods). */
  get result(): Readonly<SyncResult> {
    return this.record;
  }

  count(side: Side, what: Count, n = 1): void {
    this.record.counts[side][what] += n;
  }

  conflictsFound(n: number): void {
    this.record.conflicts.found += n;
  }

  autoResolved(n: number): void {
    this.record.conflicts.autoResolved += n;
  }

  /** Fields the loop guard parked this run. */
  oscillationsParked(n: number): void {
    if (n > 0) this.record.conflicts.oscillations = (this.record.conflicts.oscillations ?? 0) + n;
  }

  conflictResolved(): void {
    this.record.conflicts.resolved += 1;
  }

  ledgerRetried(n: number): void {
    this.record.ledger.retried += n;
  }

  ledgerRecovered(n: number): void {
    this.record.ledger.recovered += n;
  }

  dryRunPlans(plans: readonly PairPlan[]): void {
    this.plans.push(...plans);
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
    if (!this.record.notes.includes(text)) this.record.notes.push(text);
  }

  /** The run stopped before draining its feeds (time budget, throttling, an outage): the next run goes on. */
  stopEarly(reason: string): void {
    this.stoppedEarly = true;
    this.note(reason);
  }

  finish(
    finishedAt: Date,
    end: {
      fatal?: SyncErrorInfo;
      ledger: { size: number; waiting: number };
      /** The configs whose links resolve this config's lookups (named in the note on waiting records). */
      lookupConfigs?: readonly string[];
      conflictsOpen: number;
      conflictsOpenByKind?: Record<string, number>;
    },
  ): SyncResult {
    const r = this.record;
    r.ledger.size = end.ledger.size;
    if (end.ledger.waiting > 0) {
      r.ledger.waiting = end.ledger.waiting;
      const configs = end.lookupConfigs?.length ? end.lookupConfigs.join(", ") : "another config";
      this.note(
        `${end.ledger.waiting} records wait in the retry ledger for a record ${configs} has not coupled yet (LOOKUP_UNRESOLVED): re-read once it is coupled, without spending attempts`,
      );
    }
    r.conflicts.open = end.conflictsOpen;
    if (end.conflictsOpenByKind && Object.keys(end.conflictsOpenByKind).length) r.conflicts.openByKind = end.conflictsOpenByKind;
    if (r.dryRun) r.plan = summarizePlans(this.plans);
    if (end.fatal) this.recordFailure(undefined, undefined, end.fatal);
    r.finishedAt = finishedAt.toISOString();
    r.durationMs = finishedAt.getTime() - Date.parse(r.startedAt);
    r.status = statusOf(Boolean(end.fatal), this.stoppedEarly, r);
    return r;
  }

  private error(error: RunError): void {
    this.record.errorCount += 1;
    if (this.record.errors.length < MAX_RUN_ERRORS) this.record.errors.push(error);
  }
}

function statusOf(fatal: boolean, stoppedEarly: boolean, r: SyncResult): RunStatus {
  if (fatal) return "failed";
  if (stoppedEarly) return "incomplete";
  const failed = r.counts.meander.failed + r.counts.portal.failed;
  return failed > 0 || r.errorCount > 0 ? "partial" : "succeeded";
}
