/**
 * One run of one config (DESIGN §5): read both sides' changes, pair them, plan, write,
 * save baselines, and only then move the cursors.
 *
 * The side whose feed is durable page by page (Meander) is streamed; the other side's
 * changes are read first and held in memory (Dataverse change tracking cannot filter, and
 * its delta link is only handed out at the end of a feed).
 */
import type { CompiledConfig } from "../core/compile.js";
import type { Link, PairPlan, Resolution, Side, SideRecord } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { LeaseLostError, TransientError } from "../errors.js";
import type { ConfigControl, ConflictRecord, CursorState, Lease, LedgerEntry } from "../ports.js";
import { applyUnit } from "./apply.js";
import { ChangeSet, KeyIndex, viewOf } from "./changeSet.js";
import type { EngineDeps } from "./deps.js";
import { pairUnit, type UnitItem } from "./pairing.js";
import type { RunTracker } from "./runRecord.js";

export const linkKey = (side: Side, id: string) => `${side === "meander" ? "m" : "p"}:${id}`;
export const pairKey = (meanderId: string, portalId: string) => `${linkKey("meander", meanderId)}|${linkKey("portal", portalId)}`;
export const ledgerKey = (side: Side, id: string) => `${side}:${id}`;

/** Stops a run early and cleanly: the work done so far is kept and the next run goes on. */
export class StopRun extends Error {}

export class Run {
  readonly configId: string;
  /** Streamed page by page, checkpointed. */
  readonly stream: Side;
  /** Read fully first and held; undefined for one-way configs (the target is never read). */
  readonly hold: Side | undefined;
  readonly links = new Map<string, Link | null>();
  /**
   * Records coupled or created in this run, each with the record it was paired with: never
   * given a second partner. The pairing is kept so that a record whose coupling failed (a
   * lost reply, a 412) and that comes back through the feed can be coupled to the same
   * partner again, instead of being parked as ambiguous against its own partner.
   */
  readonly claimed = new Map<string, string>();
  readonly ledger = new Map<string, LedgerEntry>();
  readonly conflicts = new Map<string, ConflictRecord>();
  readonly ledgerDirty = new Set<string>();
  /** Records whose transient failure was counted this run (once per run, however often it is met). */
  readonly transientNoted = new Map<string, number>();
  readonly plans: PairPlan[] = [];
  /** Plans with deletes so far in this run: the mass-delete guard counts them all. */
  readonly deletePlans: PairPlan[] = [];
  /** Decided conflicts to apply, by `m:<id>|p:<id>` of the pair, or by the ambiguous record. */
  readonly resolutions = new Map<string, { conflictId: string; resolutions: Resolution[] }>();
  readonly partnerChoices = new Map<string, string | null>();
  /** The review item (ambiguous, unmatched, confirmMatch) each partner choice settles, by record. */
  readonly partnerConflicts = new Map<string, string>();
  holdSet?: ChangeSet;
  streamIndex?: KeyIndex;
  streamFull = false;
  linkedCount?: number;
  /** Every link of the config is in `links` (preloaded): a miss means "no link", no need to ask. */
  linksComplete = false;
  /** Old runs are purged once a day, by the run that releases the lease after a day has passed. */
  purgeDue = false;
  /** Records written so far (any side): a run that wrote reads its feeds once more for the echoes. */
  writes = 0;
  /** Set when a side did not answer a write after its retries: the run stops after the unit. */
  unavailable?: { side: Side; code: string };
  private ambiguityIndex?: Set<string>;
  private lastProgressAt = 0;
  private recordsDone = 0;

  constructor(
    readonly deps: EngineDeps,
    readonly compiled: CompiledConfig,
    readonly tracker: RunTracker,
    readonly control: { value: ConfigControl },
    readonly lease: { value: Lease | undefined },
    readonly deadline: number,
    readonly dryRun: boolean,
  ) {
    this.configId = compiled.config.id;
    const direction = compiled.config.direction;
    this.stream = direction === "toMeander" ? "portal" : "meander";
    this.hold = direction === "both" ? "portal" : undefined;
  }

  side(side: Side) {
    return this.deps.sides[side];
  }

  entity(side: Side): string {
    return this.compiled.config[side].entity;
  }

  async pause(point: string): Promise<void> {
    await this.deps.pause?.(point);
  }

  /** Throws StopRun when the budget is spent: better a clean checkpoint than a killed function. */
  checkBudget(): void {
    if (this.deps.clock.now().getTime() >= this.deadline) throw new StopRun("time budget reached: the next run continues");
  }

  cursor(side: Side): CursorState | undefined {
    return this.control.value.cursors?.[side];
  }

  /** Renews the lease, writing `control` with it: a run that lost its lease stops here. */
  async saveControl(patch: Partial<ConfigControl>): Promise<void> {
    this.control.value = { ...this.control.value, ...patch };
    if (this.dryRun || !this.lease.value) return;
    const renewed = await this.deps.locks.renew(this.lease.value, this.deps.settings.leaseMs, this.control.value);
    if (!renewed) {
      this.lease.value = undefined;
      throw new LeaseLostError(this.configId);
    }
    this.lease.value = renewed;
  }

  setCursor(side: Side, state: Omit<CursorState, "updatedAt">): Partial<ConfigControl> {
    const updatedAt = this.deps.clock.now().toISOString();
    return { cursors: { ...this.control.value.cursors, [side]: { ...state, updatedAt } } };
  }

  /** Before writing: make sure we still hold the lease, renewing it when half used. */
  async ensureLease(): Promise<void> {
    if (this.dryRun || !this.lease.value) return;
    const left = this.lease.value.expiresAt.getTime() - this.deps.clock.now().getTime();
    if (left < this.deps.settings.leaseMs / 2) await this.saveControl({});
  }

  async getLinks(refs: { side: Side; id: string }[]): Promise<void> {
    const missing = refs.filter((r) => !this.links.has(linkKey(r.side, r.id)));
    if (missing.length === 0) return;
    if (this.linksComplete) {
      for (const r of missing) this.links.set(linkKey(r.side, r.id), null);
      return;
    }
    for (const link of await this.deps.state.getLinks(this.configId, missing)) this.rememberLink(link);
    for (const r of missing) if (!this.links.has(linkKey(r.side, r.id))) this.links.set(linkKey(r.side, r.id), null);
  }

  /**
   * When both feeds are read from the start (a first run, or both cursors lost), every record
   * needs its link: one scan of the config's links costs a request per 1,000 links where point
   * reads cost one per record (on a first run, one request in all).
   */
  async preloadLinks(): Promise<void> {
    for await (const link of this.deps.state.listLinks(this.configId)) this.rememberLink(link);
    this.linksComplete = true;
  }

  linkOf(side: Side, id: string): Link | undefined {
    return this.links.get(linkKey(side, id)) ?? undefined;
  }

  rememberLink(link: Link): void {
    this.links.set(linkKey("meander", link.meanderId), link);
    this.links.set(linkKey("portal", link.portalId), link);
  }

  forgetLink(link: Pick<Link, "meanderId" | "portalId">): void {
    this.links.set(linkKey("meander", link.meanderId), null);
    this.links.set(linkKey("portal", link.portalId), null);
  }

  pendingResolution(meanderId: string, portalId: string) {
    return this.resolutions.get(pairKey(meanderId, portalId));
  }

  /** A resolution applies once: the pair's own writes come back through the feed later in the run. */
  settleResolution(meanderId: string, portalId: string): void {
    this.resolutions.delete(pairKey(meanderId, portalId));
  }

  /** Whether a record is the subject or a candidate of an open ambiguous-match conflict. */
  inOpenAmbiguity(side: Side, id: string): boolean {
    if (!this.ambiguityIndex) {
      this.ambiguityIndex = new Set();
      for (const c of this.conflicts.values()) {
        // Also confirmMatch: its candidate waits for a person, it is not offered to anyone else meanwhile.
        if ((c.kind !== "ambiguous" && c.kind !== "confirmMatch") || c.status !== "open") continue;
        const subject: Side = c.meanderId ? "meander" : "portal";
        this.ambiguityIndex.add(linkKey(subject, (c.meanderId ?? c.portalId)!));
        for (const candidate of c.candidates ?? []) this.ambiguityIndex.add(linkKey(otherSide(subject), candidate));
      }
    }
    return this.ambiguityIndex.has(linkKey(side, id));
  }

  /** For a decided ambiguous match: the partner id chosen, null for "create a new one", undefined if none. */
  pendingPartner(side: Side, id: string): string | null | undefined {
    return this.partnerChoices.get(linkKey(side, id));
  }

  progress(records: number): void {
    this.recordsDone += records;
    const now = Date.now();
    if (now - this.lastProgressAt < 10_000) return;
    this.lastProgressAt = now;
    const seconds = (now - Date.parse(this.tracker.result.startedAt)) / 1000;
    this.deps.logger.info("sync run progress", {
      runId: this.tracker.result.runId,
      configId: this.configId,
      recordsDone: this.recordsDone,
      recordsPerSecond: Math.round(this.recordsDone / Math.max(seconds, 0.001)),
    });
  }

  // ------------------------------------------------------------------ the steps

  /** Step 2a: the held side's changes, plus ledger and resolution records of that side. */
  async readHeld(extraIds: readonly string[]): Promise<{ cursor?: string; fullResync: boolean }> {
    const side = this.hold;
    if (!side) return { fullResync: false };
    const set = new ChangeSet(this.compiled, side);
    const stored = this.cursor(side)?.cursor;
    let cursor: string | undefined;
    let fullResync = stored === undefined;
    for await (const page of this.side(side).readChanges(this.entity(side), stored, { pageSize: this.deps.settings.pageSize })) {
      this.checkBudget();
      if (page.fullResync) {
        fullResync = true;
        this.tracker.note(`${side} change token expired or invalid: full read`);
      }
      for (const record of page.records) set.addRecord(record);
      for (const id of page.deletedIds) set.addDeleted(id);
      this.tracker.count(side, "read", page.records.length + page.deletedIds.length);
      if (page.final) cursor = page.cursor;
    }
    set.full = fullResync;
    const unseen = fullResync && stored !== undefined ? await this.linkedButUnseen(side, set) : [];
    const extra = await this.readByIds(side, [...new Set([...extraIds.filter((id) => !set.has(id)), ...unseen])]);
    for (const record of extra.records) set.addRecord(record);
    for (const id of extra.gone) set.addDeleted(id);
    this.holdSet = set;
    await this.pause("after-read-held");
    return { cursor, fullResync };
  }

  /** Step 2b–7 for the streamed side, page by page, checkpointing after each page. */
  async processStream(extraIds: readonly string[]): Promise<string | undefined> {
    const side = this.stream;
    const state = this.cursor(side);
    const from = state?.checkpoint ?? state?.cursor;
    this.streamFull = from === undefined;
    if (this.streamFull && this.hold) this.streamIndex = new KeyIndex(this.compiled, side);

    const extra = await this.readByIds(side, extraIds);
    await this.processUnit([
      ...extra.records.map((record) => this.itemOf(side, record)),
      ...extra.gone.map((id): UnitItem => ({ side, id, view: { state: "deleted", id } })),
    ]);

    let finalCursor: string | undefined;
    const pages = this.side(side).readChanges(this.entity(side), from, { pageSize: this.deps.settings.pageSize });
    for await (const page of pages) {
      this.checkBudget();
      if (page.fullResync) {
        this.streamFull = true;
        this.tracker.note(`${side} change cursor expired or invalid: full read`);
      }
      this.tracker.count(side, "read", page.records.length + page.deletedIds.length);
      const items: UnitItem[] = page.records.map((record) => this.itemOf(side, record));
      for (const id of page.deletedIds) items.push({ side, id, view: { state: "deleted", id } });
      await this.processUnit(items);
      await this.pause("before-checkpoint");
      if (page.final) finalCursor = page.cursor;
      else if (!this.dryRun) await this.saveControl(this.setCursor(side, { cursor: state?.cursor, checkpoint: page.cursor }));
      await this.pause("after-checkpoint");
    }
    return finalCursor;
  }

  /** Step 3–7 for held changes that no streamed change took as its partner. */
  async processLeftovers(): Promise<void> {
    const set = this.holdSet;
    if (!set) return;
    const pageSize = this.deps.settings.pageSize;
    while (set.size > 0) {
      this.checkBudget();
      await this.processUnit(set.takeSome(pageSize).map(([id, view]) => ({ side: set.side, id, view })));
    }
  }

  /**
   * After a full read that replaced a lost cursor, a linked record missing from the whole
   * set may have been deleted while the cursor was lost (its tombstone is gone with it): those
   * are read by id, and the ones not found go through the delete policy. No stale links.
   */
  private async linkedButUnseen(side: Side, set: ChangeSet): Promise<string[]> {
    const unseen: string[] = [];
    for await (const link of this.deps.state.listLinks(this.configId)) {
      const id = side === "portal" ? link.portalId : link.meanderId;
      if (!set.has(id)) unseen.push(id);
    }
    if (unseen.length) this.tracker.note(`${side} full read: ${unseen.length} linked records not in it were read by id`);
    return unseen;
  }

  /**
   * Records re-read by id (ledger entries, decided conflicts). An id missing from a multi-id
   * answer is not taken as deleted: each is read again on its own, and only a read of that
   * one id answering "not found" counts as a deletion.
   */
  async readByIds(side: Side, ids: readonly string[]): Promise<{ records: SideRecord[]; gone: string[] }> {
    if (ids.length === 0) return { records: [], gone: [] };
    const records = await this.side(side).getByIds(this.entity(side), ids);
    const found = new Set(records.map((r) => r.id));
    const gone: string[] = [];
    const missing = ids.filter((i) => !found.has(i));
    const again = await Promise.all(missing.map((id) => this.side(side).getByIds(this.entity(side), [id])));
    missing.forEach((id, i) => {
      const [record] = again[i] ?? [];
      if (record) records.push(record);
      else gone.push(id);
    });
    return { records, gone };
  }

  private itemOf(side: Side, record: SideRecord): UnitItem {
    this.streamIndex?.add(record);
    return { side, id: record.id, view: viewOf(this.compiled, side, record) };
  }

  private async processUnit(items: UnitItem[]): Promise<void> {
    if (items.length === 0) return;
    const pairs = await pairUnit(this, items);
    await applyUnit(this, pairs);
    this.progress(items.length);
  }
}

/** Transient failures that outlast the retries end the run early, keeping what was done. */
export function isStopping(error: unknown): boolean {
  return error instanceof StopRun || error instanceof TransientError;
}
