/**
 * One pass over the feeds: the held side read first and kept in memory, the streamed side
 * applied a unit of pages at a time with a checkpoint after each, then the held changes no
 * streamed change took as its partner. Every unit goes through pairing, then applying.
 *
 * The side whose feed is durable page by page (Meander) is streamed; the other side's
 * changes are read first and held (Dataverse change tracking cannot filter, and its delta
 * link is only handed out at the end of a feed). On an incremental run a narrowed held feed
 * keeps its in-scope records narrow; each unit reads what it needs of them (fullReads.ts), and
 * the rest are read before the leftovers.
 */
import type { Side, SideRecord, SideView } from "../core/types.js";
import { applyUnit } from "./apply.js";
import { readByIds } from "./byIds.js";
import { ChangeSet, viewOf } from "./changeSet.js";
import { pause, type RunContext, sideOf } from "./context.js";
import { isEcho, isOwnTombstone } from "./echo.js";
import { readAllNarrow } from "./fullReads.js";
import { pairUnit } from "./pairing.js";
import { readAhead } from "./readAhead.js";
import { StopRun } from "./stop.js";
import type { UnitItem } from "./unit.js";

/** Step 2a: the held side's changes, plus ledger and resolution records of that side. */
export async function readHeld(ctx: RunContext, extraIds: readonly string[]): Promise<{ cursor?: string; fullResync: boolean }> {
  const side = ctx.hold;
  if (!side) return { fullResync: false };
  const { port, entity } = sideOf(ctx, side);
  const set = new ChangeSet(ctx.compiled, side);
  const stored = ctx.lease.cursor(side)?.cursor;
  let cursor: string | undefined;
  let fullResync = stored === undefined;
  const echoes = echoFilter(ctx, side);
  const unchanged = (id: string, version: string | undefined, fullRead: boolean) => echoes.test(id, version, fullRead || stored === undefined);
  // A narrowed feed read from the stored cursor may leave its in-scope records narrow: pairing reads them (fullReads.ts).
  for await (const page of port.readChanges(entity, stored, { pageSize: ctx.deps.settings.pageSize, unchanged, deferFullRead: true })) {
    ctx.lease.checkBudget();
    if (page.fullResync) {
      fullResync = true;
      ctx.tracker.note(`${side} change token expired or invalid: full read`);
    }
    const full = stored === undefined || page.fullResync === true;
    for (const record of page.records) if (!echoes.test(record.id, record.version, full)) set.addRecord(record);
    for (const id of page.deletedIds) if (!echoes.gone(id, full)) set.addDeleted(id);
    ctx.tracker.count(side, "read", page.records.length + page.deletedIds.length + (page.leftOut ?? 0));
    if (page.final) cursor = page.cursor;
  }
  ctx.tracker.count(side, "unchanged", echoes.ids.size);
  // The held records are all of the side only if none was left out as an echo: else matching asks the side.
  set.full = fullResync && echoes.ids.size === 0;
  if (fullResync) await vanished(ctx, set, echoes.ids);
  const extra = await readByIds(
    ctx,
    side,
    extraIds.filter((id) => !set.has(id)),
  );
  for (const record of extra.records) set.addRecord(record);
  for (const id of extra.gone) set.addDeleted(id);
  ctx.feeds.setHeld(set);
  await pause(ctx, "after-read-held");
  return { cursor, fullResync };
}

/**
 * A full read of the held side (a first run that did not finish, an expired change token) has
 * no tombstones: a linked record it did not return was deleted since the last cursor. Without
 * this, its link would stay, pointing at nothing, found by the property tests in test/engine.
 */
async function vanished(ctx: RunContext, set: ChangeSet, echoes: ReadonlySet<string>): Promise<void> {
  const unseen: string[] = [];
  for (const link of await ctx.links.all()) {
    const id = set.side === "meander" ? link.meanderId : link.portalId;
    if (!set.has(id) && !echoes.has(id)) unseen.push(id);
  }
  if (unseen.length === 0) return;
  // Each is read by id first: only "not found" is a deletion (a read may have missed it).
  const { records, gone } = await readByIds(ctx, set.side, unseen);
  for (const record of records) set.addRecord(record);
  for (const id of gone) set.addDeleted(id);
  ctx.tracker.note(`${set.side} full read: ${unseen.length} linked records not in it were read by id, ${gone.length} gone`);
}

/** Steps 2b–7 for the streamed side, a unit of pages at a time, checkpointing after each unit. */
export async function processStream(ctx: RunContext, extraIds: readonly string[]): Promise<{ cursor?: string; written: number }> {
  const side = ctx.stream;
  const { port, entity } = sideOf(ctx, side);
  const state = ctx.lease.cursor(side);
  const from = state?.checkpoint ?? state?.cursor;
  ctx.feeds.startStream(from === undefined);

  const extra = await readByIds(ctx, side, extraIds);
  let written = await processUnit(ctx, [
    ...extra.records.map((record) => itemOf(ctx, side, record)),
    ...extra.gone.map((id): UnitItem => ({ side, id, view: { state: "deleted", id } })),
  ]);

  let cursor: string | undefined;
  const echoes = echoFilter(ctx, side);
  // A stream read in full indexes every record it reads, echoes too (the held side's leftovers match against it).
  const indexing = ctx.feeds.indexOf(side) !== undefined;
  const unchanged = (id: string, version: string | undefined, fullRead: boolean) => echoes.test(id, version, fullRead || ctx.feeds.complete(side));
  // A unit gathers pages up to the page size setting (Meander's pages are smaller): fuller
  // batches and Table transactions, and fewer units to save one after another.
  const unitSize = ctx.deps.settings.pageSize;
  // By id: a record changed again while the feed is read comes back on a later page, and in one unit only its latest change counts.
  let items = new Map<string, UnitItem>();
  const add = (item: UnitItem) => items.set(item.id, item);
  // The next page is read while this one is worked on (readAhead.ts).
  for await (const page of readAhead(port.readChanges(entity, from, { pageSize: unitSize, ...(indexing ? {} : { unchanged }) }))) {
    ctx.lease.checkBudget();
    if (page.fullResync) {
      ctx.feeds.streamRestarted();
      ctx.tracker.note(`${side} change cursor expired or invalid: full read`);
    }
    ctx.tracker.count(side, "read", page.records.length + page.deletedIds.length + (page.leftOut ?? 0));
    const full = ctx.feeds.complete(side);
    const before = echoes.ids.size;
    for (const record of page.records) {
      const item = itemOf(ctx, side, record);
      if (!echoes.test(record.id, record.version, full)) add(item);
    }
    for (const id of page.deletedIds) if (!echoes.gone(id, full)) add({ side, id, view: { state: "deleted", id } });
    ctx.tracker.count(side, "unchanged", echoes.ids.size - before);
    if (page.final) cursor = page.cursor;
    // A page with nothing to do is checkpointed on its own, as before (cheap progress through echoes).
    else if (items.size > 0 && items.size < unitSize) continue;
    // The unit's last page is checkpointed after the unit's save; the next pages are read meanwhile (saving.ts).
    written += await processUnit(ctx, [...items.values()], async () => {
      await pause(ctx, "before-checkpoint");
      if (!page.final && !ctx.dryRun) await ctx.lease.checkpoint(side, page.cursor);
      await pause(ctx, "after-checkpoint");
    });
    items = new Map();
  }
  await ctx.saving.done();
  return { ...(cursor !== undefined ? { cursor } : {}), written };
}

/** Steps 3–7 for held changes that no streamed change took as its partner. */
export async function processLeftovers(ctx: RunContext): Promise<number> {
  const set = ctx.feeds.held;
  if (!set) return 0;
  const pageSize = ctx.deps.settings.pageSize;
  let written = 0;
  // The held records no streamed unit needed in full are read now, so each leftover is seen as the feed would have given it.
  await readAllNarrow(ctx);
  // Records merged into another go first: their link moves to the survivor before the survivor's own change is matched.
  const masterField = set.side === "portal" ? ctx.compiled.config.portal.masterField : undefined;
  const merged = (view: SideView) => view.state === "outOfScope" && typeof view.record.data[masterField ?? ""] === "string";
  for (let chunk = masterField ? set.takeWhere(merged, pageSize) : []; chunk.length > 0; chunk = set.takeWhere(merged, pageSize)) {
    ctx.lease.checkBudget();
    written += await processUnit(
      ctx,
      chunk.map(([id, view]) => ({ side: set.side, id, view })),
    );
  }
  while (set.size > 0) {
    ctx.lease.checkBudget();
    written += await processUnit(
      ctx,
      set.takeSome(pageSize).map(([id, view]) => ({ side: set.side, id, view })),
    );
  }
  await ctx.saving.done();
  return written;
}

interface EchoFilter {
  /** A record at the version this run's or the last run's own write left it (echo.ts). */
  test(id: string, version: string | undefined, fullRead: boolean): boolean;
  /** A tombstone of the last run's own delete. */
  gone(id: string, fullRead: boolean): boolean;
  /** The ids of those met so far. */
  readonly ids: Set<string>;
}

/** The run's own writes coming back on `side` (echo.ts), and the ids of those met so far. */
function echoFilter(ctx: RunContext, side: Side): EchoFilter {
  const ids = new Set<string>();
  const met = (id: string, echo: boolean) => {
    if (echo) ids.add(ctx.links.heldId(side, id));
    return echo;
  };
  return {
    ids,
    test: (id, version, fullRead) => met(id, isEcho(ctx, side, id, version, fullRead)),
    gone: (id, fullRead) => met(id, isOwnTombstone(ctx, side, id, fullRead)),
  };
}

function itemOf(ctx: RunContext, side: Side, record: SideRecord): UnitItem {
  ctx.feeds.indexOf(side)?.add(record, ctx.links.heldId(side, record.id));
  return { side, id: record.id, view: viewOf(ctx.compiled, side, record) };
}

/** Pairs and applies a unit; its save (then `afterSave`, a page's checkpoint) goes on behind the next unit. */
async function processUnit(ctx: RunContext, items: UnitItem[], afterSave?: () => Promise<void>): Promise<number> {
  if (items.length === 0) {
    if (afterSave) await ctx.saving.start(afterSave);
    return 0;
  }
  const tasks = await pairUnit(ctx, items);
  const { written, unavailable, save } = await applyUnit(ctx, tasks);
  // A unit a side did not answer is saved (the pairs that were applied), but its page is not checkpointed: the next run reads it again.
  await ctx.saving.start(async () => {
    await save?.();
    if (!unavailable) await afterSave?.();
  });
  if (unavailable) {
    await ctx.saving.done();
    throw new StopRun(`${unavailable.side} did not answer (${unavailable.code}) after retries: the run stopped; the next run continues from here`);
  }
  ctx.progress.add(items.length);
  return written;
}
