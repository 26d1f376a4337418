/**
 * The retry ledger of one config: records that could not be applied, re-read and retried by
 * the next runs until they succeed or spend their attempts (then they stay visible). Records
 * waiting for a lookup target are not failing: they are re-read only once it resolves
 * (waiting.ts), and a run with nothing to retry does not list the ledger at all.
 */
import type { Side } from "../core/types.js";
import type { SyncErrorInfo } from "../errors.js";
import type { LedgerEntry, LookupTarget, StateStore } from "../ports.js";
import { ledgerKey } from "./keys.js";
import type { LedgerCounts } from "./lease.js";
import { isLegacyWaiting, resolvedWaiting, sameTargets } from "./waiting.js";

/** Runs in a row in which one record's write fails with the same transient error before it counts as that record's own failure. */
export const TRANSIENT_RUNS_TO_LEDGER = 3;

export class RetryLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  /** Entries failed again in this run and not yet saved. */
  private readonly dirty = new Set<string>();
  /** Records whose transient failure was counted this run, with the count (once per run, however often met). */
  private readonly transientThisRun = new Map<string, number>();
  /** Records this run retries and has not applied yet. */
  private readonly retrying = new Set<string>();

  /** The sizes from the control row while the entries are not listed (a run with nothing to retry). */
  private known: LedgerCounts | undefined;

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
    private readonly maxAttempts: number,
  ) {}

  /**
   * Loads the ledger and returns the ids to retry: entries with attempts left and, when
   * `lookupsChanged`, waiting entries whose lookup targets resolve now. Not listed when the
   * control row says nothing is due (`ready` lists it once the run has records to apply).
   */
  async load(known: LedgerCounts, lookupsChanged: boolean): Promise<Record<Side, string[]>> {
    const ids: Record<Side, string[]> = { meander: [], portal: [] };
    if (known.size === 0) return ids;
    // Only entries given up on or waiting, and no lookup config coupled records since they were looked at.
    if (known.size !== undefined && known.due === 0 && !lookupsChanged) {
      this.known = known;
      return ids;
    }
    const waiting: LedgerEntry[] = [];
    for (const entry of await this.state.listLedger(this.configId)) {
      this.entries.set(ledgerKey(entry.side, entry.recordId), entry);
      if (entry.waitingFor?.length || (isLegacyWaiting(entry) && entry.attempts >= this.maxAttempts)) waiting.push(entry);
      else if (entry.attempts < this.maxAttempts) ids[entry.side].push(entry.recordId);
    }
    if (lookupsChanged) for (const entry of await resolvedWaiting(this.state, waiting)) ids[entry.side].push(entry.recordId);
    for (const side of ["meander", "portal"] as const) {
      ids[side] = [...new Set(ids[side])];
      for (const id of ids[side]) this.retrying.add(ledgerKey(side, id));
    }
    return ids;
  }

  /** Lists the entries if `load` left them unlisted: before a unit's records fail or recover. */
  async ready(): Promise<void> {
    if (!this.known) return;
    this.known = undefined;
    for (const entry of await this.state.listLedger(this.configId)) this.entries.set(ledgerKey(entry.side, entry.recordId), entry);
  }

  get size(): number {
    return this.known?.size ?? this.entries.size;
  }

  /** All entries, those the next run retries, and those waiting for a lookup target (for the control row and the run record). */
  get counts(): Required<LedgerCounts> {
    if (this.known) return { size: this.known.size ?? 0, due: this.known.due ?? 0, waiting: this.known.waiting ?? 0 };
    let due = 0;
    let waiting = 0;
    for (const entry of this.entries.values()) {
      if (entry.waitingFor?.length) waiting += 1;
      else if (entry.attempts < this.maxAttempts) due += 1;
    }
    return { size: this.entries.size, due, waiting };
  }

  /**
   * Whether this run retries the record and has not applied it yet. The failed attempt may have
   * taken its partner's change from the held feed, whose cursor then moved on: the retry plans
   * the pair with the partner as it is now, read by id (pairing.ts), never as the baseline.
   */
  retries(side: Side, id: string): boolean {
    return this.retrying.has(ledgerKey(side, id));
  }

  /** The record was applied: true when it had an entry (now gone from memory; `save(recovered)` deletes it). */
  recover(side: Side, id: string): boolean {
    this.retrying.delete(ledgerKey(side, id));
    return this.entries.delete(ledgerKey(side, id));
  }

  /**
   * A record-level failure. With `waitingFor` (its lookup targets are not coupled yet) the
   * record waits: no attempt is spent, and an entry already waiting for the same is left as
   * it is (not rewritten).
   */
  fail(side: Side, recordId: string, error: SyncErrorInfo, now: string, waitingFor?: readonly LookupTarget[]): void {
    const key = ledgerKey(side, recordId);
    const previous = this.entries.get(key);
    if (waitingFor?.length) {
      const unchanged =
        previous?.waitingFor &&
        sameTargets(previous.waitingFor, waitingFor) &&
        previous.lastError.code === error.code &&
        previous.lastError.message === error.message;
      if (unchanged) return;
      this.entries.set(key, {
        side,
        recordId,
        attempts: previous?.attempts ?? 0,
        firstFailedAt: previous?.firstFailedAt ?? now,
        lastFailedAt: now,
        lastError: { kind: error.kind, code: error.code, message: error.message, ...(error.status ? { status: error.status } : {}) },
        waitingFor,
      });
      this.dirty.add(key);
      return;
    }
    this.entries.set(key, {
      side,
      recordId,
      attempts: (previous?.attempts ?? 0) + 1,
      firstFailedAt: previous?.firstFailedAt ?? now,
      lastFailedAt: now,
      lastError: { kind: error.kind, code: error.code, message: error.message, ...(error.status ? { status: error.status } : {}) },
    });
    this.dirty.add(key);
  }

  /**
   * A transient write failure of one record. Returns true when the run must stop (the side may
   * be down: the cursor stays before the change, no attempt is spent), false when it is this
   * record's own failure: the same error for the same record in TRANSIENT_RUNS_TO_LEDGER runs in
   * a row while the side answered other writes (a plug-in timing out on it, say). Then it is
   * in the ledger like a record-level failure, and the runs go past it.
   */
  failTransient(side: Side, recordId: string, error: SyncErrorInfo, now: string, outage: boolean): boolean {
    if (outage) return true;
    const key = ledgerKey(side, recordId);
    const counted = this.transientThisRun.get(key);
    if (counted !== undefined) return counted < TRANSIENT_RUNS_TO_LEDGER;
    const previous = this.entries.get(key);
    const again = previous?.lastError.kind === "transient" && previous.lastError.code === error.code;
    const streak = again ? (previous.transientRuns ?? 1) + 1 : 1;
    this.transientThisRun.set(key, streak);
    const stop = streak < TRANSIENT_RUNS_TO_LEDGER;
    this.entries.set(key, {
      side,
      recordId,
      attempts: (previous?.attempts ?? 0) + (stop ? 0 : 1),
      firstFailedAt: previous?.firstFailedAt ?? now,
      lastFailedAt: now,
      lastError: { kind: error.kind, code: error.code, message: error.message, ...(error.status ? { status: error.status } : {}) },
      transientRuns: Math.min(streak, TRANSIENT_RUNS_TO_LEDGER),
    });
    this.dirty.add(key);
    return stop;
  }

  /** Saves this unit's changes: recovered entries deleted, failed ones written. */
  async save(recovered: readonly { side: Side; recordId: string }[]): Promise<void> {
    if (recovered.length > 0) await this.state.deleteLedger(this.configId, recovered);
    const failed = [...this.dirty].map((k) => this.entries.get(k)).filter((e): e is LedgerEntry => Boolean(e));
    this.dirty.clear();
    if (failed.length > 0) await this.state.putLedger(this.configId, failed);
  }
}
