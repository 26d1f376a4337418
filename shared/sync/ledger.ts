/**
 * The retry ledger of one config: records that could not be applied, re-read and retried by
 * the next runs until they succeed or spend their attempts (then they stay visible).
 */
import type { Side } from "../core/types.js";
import type { SyncErrorInfo } from "../errors.js";
import type { LedgerEntry, StateStore } from "../ports.js";
import { ledgerKey } from "./keys.js";

export class RetryLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  /** Entries failed again in this run and not yet saved. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
  ) {}

  /** Loads the ledger (skipped when the control row says it is empty); returns the ids to retry. */
  async load(knownSize: number | undefined, maxAttempts: number): Promise<Record<Side, string[]>> {
    const ids: Record<Side, string[]> = { meander: [], portal: [] };
    if (knownSize !== undefined && knownSize === 0) return ids;
    for (const entry of await this.state.listLedger(this.configId)) {
      this.entries.set(ledgerKey(entry.side, entry.recordId), entry);
      if (entry.attempts < maxAttempts && !ids[entry.side].includes(entry.recordId)) ids[entry.side].push(entry.recordId);
    }
    return ids;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The record was applied: true when it had an entry (now gone from memory; `saveRecovered` deletes it). */
  recover(side: Side, id: string): boolean {
    return this.entries.delete(ledgerKey(side, id));
  }

  fail(side: Side, recordId: string, error: SyncErrorInfo, now: string): void {
    const key = ledgerKey(side, recordId);
    const previous = this.entries.get(key);
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

  /** Saves this unit's changes: recovered entries deleted, failed ones written. */
  async save(recovered: readonly { side: Side; recordId: string }[]): Promise<void> {
    if (recovered.length > 0) await this.state.deleteLedger(this.configId, recovered);
    const failed = [...this.dirty].map((k) => this.entries.get(k)).filter((e): e is LedgerEntry => Boolean(e));
    this.dirty.clear();
    if (failed.length > 0) await this.state.putLedger(this.configId, failed);
  }
}
