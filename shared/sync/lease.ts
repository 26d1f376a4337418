/**
 * The config's lease and its control row (cursors, checkpoint, ledger size, last purge): one
 * run at a time writes, and every write of the row is conditional on still holding the lease.
 */
import type { Side } from "../core/types.js";
import { AlreadyRunningError, LeaseLostError, toErrorInfo } from "../errors.js";
import type { ConfigControl, CursorState, ExpectedEchoes, Lease } from "../ports.js";
import type { EngineDeps } from "./deps.js";
import { StopRun } from "./stop.js";

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The retry ledger's sizes kept on the control row: all entries, those the next run retries, those waiting for a lookup. */
export interface LedgerCounts {
  readonly size?: number;
  readonly due?: number;
  readonly waiting?: number;
}

export class LeaseKeeper {
  /** The last run's own writes (echo.ts), taken off the row: this run consumes them, and saves its own or none. */
  readonly echoes: Partial<Record<Side, ExpectedEchoes>>;

  private constructor(
    private readonly deps: EngineDeps,
    private readonly configId: string,
    private control: ConfigControl,
    private lease: Lease | undefined,
    private readonly deadline: number,
    private readonly dryRun: boolean,
    /** The control state of the configs this one's lookups read links from, as the run found it. */
    private readonly peers: Readonly<Record<string, ConfigControl>>,
  ) {
    const { echoes, ...rest } = control;
    this.echoes = echoes ?? {};
    this.control = rest;
  }

  /** Takes the lease (a dry run only reads the control row). `tookOverFrom`: a run that died holding it. */
  static async take(
    deps: EngineDeps,
    configId: string,
    runId: string,
    dryRun: boolean,
    deadline: number,
    peerIds: readonly string[] = [],
  ): Promise<{ keeper: LeaseKeeper; tookOverFrom?: string }> {
    if (dryRun) {
      const [control, ...peers] = await Promise.all([configId, ...peerIds].map(async (id) => (await deps.locks.readControl?.(id)) ?? {}));
      const byId = Object.fromEntries(peerIds.map((id, i) => [id, peers[i] ?? {}]));
      return { keeper: new LeaseKeeper(deps, configId, control ?? {}, undefined, deadline, true, byId) };
    }
    const taken = await deps.locks.acquire(configId, runId, deps.settings.leaseMs, peerIds);
    if (!taken.acquired) throw new AlreadyRunningError(configId, taken.heldBy);
    const keeper = new LeaseKeeper(deps, configId, taken.control ?? {}, taken.lease, deadline, false, taken.peers ?? {});
    // The run that died may have written links it never announced: announce them now.
    if (taken.tookOverFrom) keeper.noteCoupled();
    return { keeper, ...(taken.tookOverFrom ? { tookOverFrom: taken.tookOverFrom } : {}) };
  }

  /** The retry ledger as the last run left it (sizes only). */
  get ledger(): LedgerCounts {
    const { ledgerSize: size, ledgerDue: due, ledgerWaiting: waiting } = this.control;
    return { ...(size !== undefined ? { size } : {}), ...(due !== undefined ? { due } : {}), ...(waiting !== undefined ? { waiting } : {}) };
  }

  /**
   * Records were coupled (links written): configs whose lookups read this config's links look
   * at their waiting records again. Bumped after the links are written and saved with the next
   * renewal or the release, so a reader that saw the old value read its links before they existed.
   */
  noteCoupled(): void {
    this.control = { ...this.control, couplings: (this.control.couplings ?? 0) + 1 };
  }

  /** Whether records waiting for a lookup are due a look: a lookup config coupled records since the last look, or a day went by. */
  lookupsChanged(lookupConfigs: readonly string[]): boolean {
    if (lookupConfigs.length === 0) return false;
    const seen = this.control.lookupsSeen;
    if (!seen || this.deps.clock.now().getTime() - Date.parse(seen.checkedAt) >= DAY_MS) return true;
    return lookupConfigs.some((c) => this.peers[c]?.couplings !== seen.couplings[c]);
  }

  /** The waiting records were looked at against the lookup configs' links as this run found them (written with the release). */
  markLookupsSeen(lookupConfigs: readonly string[]): void {
    const couplings: Record<string, number> = {};
    for (const c of lookupConfigs) {
      const n = this.peers[c]?.couplings;
      if (n !== undefined) couplings[c] = n;
    }
    this.control = { ...this.control, lookupsSeen: { couplings, checkedAt: this.deps.clock.now().toISOString() } };
  }

  /** False until one run has found every link of the config with fingerprinted baselines. */
  get baselinesFingerprinted(): boolean {
    return this.control.baselinesFingerprintedAt !== undefined;
  }

  /** Written with the release (or the next renewal). */
  markBaselinesFingerprinted(at: Date): void {
    this.control = { ...this.control, baselinesFingerprintedAt: at.toISOString() };
  }

  /** This run's own writes, for the next run to recognise: written with the release. */
  rememberEchoes(echoes: Partial<Record<Side, ExpectedEchoes>>): void {
    this.control = { ...this.control, echoes };
  }

  cursor(side: Side): CursorState | undefined {
    return this.control.cursors?.[side];
  }

  /** Throws StopRun when the budget is spent: better a clean checkpoint than a killed function. */
  checkBudget(): void {
    if (this.deps.clock.now().getTime() >= this.deadline) throw new StopRun("time budget reached: the next run continues");
  }

  /** A page of the streamed side is applied: the checkpoint moves, written with the renewed lease. */
  async checkpoint(side: Side, checkpoint: string): Promise<void> {
    await this.save(this.withCursor(side, { cursor: this.cursor(side)?.cursor, checkpoint }));
  }

  /** The cursor for the next run, kept in memory: it is written with the release (or the next checkpoint). */
  moveCursor(side: Side, cursor: string | undefined): void {
    this.control = { ...this.control, ...this.withCursor(side, { cursor: cursor ?? this.cursor(side)?.cursor }) };
  }

  /** Before writing: make sure we still hold the lease, renewing it when half used. */
  async ensureLease(): Promise<void> {
    if (this.dryRun || !this.lease) return;
    const left = this.lease.expiresAt.getTime() - this.deps.clock.now().getTime();
    if (left < this.deps.settings.leaseMs / 2) await this.save({});
  }

  /**
   * The lease released with the control state (one conditional write). `released` is false when
   * it was lost; `purgeDue` once a day, for the run that releases after a day has passed.
   */
  async release(ledger: Required<LedgerCounts>): Promise<{ released: boolean; purgeDue: boolean }> {
    await this.saving;
    const lease = this.lease;
    if (!lease) return { released: false, purgeDue: false };
    const now = this.deps.clock.now();
    const lastPurge = this.control.lastPurgeAt ? Date.parse(this.control.lastPurgeAt) : 0;
    const purgeDue = now.getTime() - lastPurge > DAY_MS;
    try {
      const counts = { ledgerSize: ledger.size, ledgerDue: ledger.due, ledgerWaiting: ledger.waiting };
      const released = await this.deps.locks.release(lease, { ...this.control, ...counts, ...(purgeDue ? { lastPurgeAt: now.toISOString() } : {}) });
      return { released, purgeDue };
    } catch (error) {
      this.deps.logger.warn("could not release the lease; it expires by itself", { runId: lease.runId, errorCode: toErrorInfo(error).code });
      return { released: false, purgeDue };
    }
  }

  /** Renews the lease, writing `control` with it: a run that lost its lease stops here. One at a time (each is conditional on the last one's ETag). */
  private save(patch: Partial<ConfigControl>): Promise<void> {
    const saved = this.saving.then(() => this.saveNow(patch));
    this.saving = saved.catch(() => undefined);
    return saved;
  }

  private saving: Promise<void> = Promise.resolve();

  private async saveNow(patch: Partial<ConfigControl>): Promise<void> {
    this.control = { ...this.control, ...patch };
    if (this.dryRun || !this.lease) return;
    const renewed = await this.deps.locks.renew(this.lease, this.deps.settings.leaseMs, this.control);
    if (!renewed) {
      this.lease = undefined;
      throw new LeaseLostError(this.configId);
    }
    this.lease = renewed;
  }

  private withCursor(side: Side, state: Omit<CursorState, "updatedAt">): Partial<ConfigControl> {
    const updatedAt = this.deps.clock.now().toISOString();
    return { cursors: { ...this.control.cursors, [side]: { ...state, updatedAt } } };
  }
}
