/**
 * The held side's narrow records read in full. A narrowed feed read from a stored cursor hands
 * its in-scope records over with their scope columns only (`ReadOptions.deferFullRead`,
 * `SideRecord.narrow`); the run reads them by id where a unit first needs them, in one read
 * with the unchanged partners the unit's drift needs (pairing.ts, withMasters): the narrow
 * records of the unit itself, the held partners its linked records take (and the contact a
 * partner was merged into), and its unlinked records' held candidates. The read is topped up
 * with other narrow records to what its requests carry anyway (`RecordSide.idsPerRead`), so an
 * incremental run reads its in-scope changes and its drift partners together. Only in-scope
 * records are ever read in full, as a feed that reads them at once does
 * (shared/adapters/dataverse/read.ts).
 */
import type { Link, Side, SideRecord } from "../core/types.js";
import type { RecordSide } from "../ports.js";
import { type ChangeSet, viewOf } from "./changeSet.js";
import { type RunContext, sideOf } from "./context.js";
import { localCandidateIds } from "./match.js";
import type { UnitItem } from "./unit.js";

/** Unchanged partners read with the unit's narrow records: `asked` were read, `records` are those found. */
export interface Prefetched {
  readonly side: Side;
  readonly asked: ReadonlySet<string>;
  readonly records: ReadonlyMap<string, SideRecord>;
}

/** Whether a linked changed record's unchanged partner is to be read (pairing.ts decides). */
export type WantsPartner = (item: UnitItem, link: Link) => boolean;

const isNarrow = (item: UnitItem) => (item.view.state === "present" || item.view.state === "outOfScope") && item.view.record.narrow === true;

/**
 * Reads in full what the unit needs of the held side's narrow records, replacing the held
 * views; returns the unit's items with their own full views (a narrow item its read did not
 * find is left out: the next feed reports its deletion) and the partners read with them.
 */
export async function readNarrow(
  ctx: RunContext,
  items: readonly UnitItem[],
  wantsPartner: WantsPartner,
): Promise<{ items: readonly UnitItem[]; prefetched?: Prefetched }> {
  const held = ctx.feeds.held;
  if (!held || (held.narrowCount === 0 && !items.some(isNarrow))) return { items };
  const side = held.side;
  const masterField = side === "portal" ? ctx.compiled.config.portal.masterField : undefined;
  const own = new Set<string>();
  const needed = new Set<string>();
  const partners = new Set<string>();
  for (const item of items) {
    if (item.side === side) {
      if (isNarrow(item)) own.add(item.id);
      continue;
    }
    const link = ctx.links.get(item.side, item.id);
    if (link) {
      const id = side === "meander" ? link.meanderId : link.portalId;
      if (held.isNarrow(id)) needed.add(id);
      else if (!held.has(id) && wantsPartner(item, link)) partners.add(id);
      else {
        // A partner merged into another contact: the survivor is the pair's contact now (merges.ts).
        const master = masterField ? held.record(id)?.data[masterField] : undefined;
        if (typeof master === "string" && held.isNarrow(master)) needed.add(master);
      }
    } else if (item.view.state === "present") {
      for (const id of localCandidateIds(ctx, item)) if (held.isNarrow(id)) needed.add(id);
    }
  }
  if (own.size + needed.size + partners.size === 0) return { items };
  const { port, entity } = sideOf(ctx, side);
  const ids = [...own, ...needed, ...partners];
  const perRead = port.idsPerRead?.(entity);
  if (perRead) {
    let room = Math.ceil(ids.length / perRead) * perRead - ids.length;
    for (const id of held.narrowIds()) {
      if (room <= 0) break;
      if (needed.has(id)) continue;
      needed.add(id);
      ids.push(id);
      room -= 1;
    }
  }
  const found = await completeHeld(held, port, entity, ids, needed);
  const records = new Map<string, SideRecord>();
  for (const id of partners) {
    const record = found.get(id.toLowerCase());
    if (record) records.set(id, record);
  }
  const full: UnitItem[] = [];
  for (const item of items) {
    if (!own.has(item.id)) full.push(item);
    else {
      const record = found.get(item.id.toLowerCase());
      if (record) full.push({ ...item, view: viewOf(ctx.compiled, side, { ...record, id: item.id }) });
    }
  }
  return { items: full, ...(partners.size > 0 ? { prefetched: { side, asked: partners, records } } : {}) };
}

/** Every held record still narrow, read in full (before the held leftovers are processed: merged records go first by their full view). */
export async function readAllNarrow(ctx: RunContext): Promise<void> {
  const held = ctx.feeds.held;
  if (!held) return;
  const { port, entity } = sideOf(ctx, held.side);
  while (held.narrowCount > 0) {
    ctx.lease.checkBudget();
    const ids: string[] = [];
    for (const id of held.narrowIds()) {
      if (ids.length >= ctx.deps.settings.pageSize) break;
      ids.push(id);
    }
    await completeHeld(held, port, entity, ids, ids);
  }
}

/** Reads `ids` by id and completes (or, not found, drops) the held ones among them in `complete`; returns what was found, by lower-cased id. */
async function completeHeld(
  held: ChangeSet,
  port: RecordSide,
  entity: string,
  ids: readonly string[],
  complete: Iterable<string>,
): Promise<Map<string, SideRecord>> {
  const found = new Map<string, SideRecord>();
  for (const record of await port.getByIds(entity, ids)) found.set(record.id.toLowerCase(), record);
  for (const id of complete) {
    const record = found.get(id.toLowerCase());
    if (record) held.complete(id, record);
    else held.drop(id);
  }
  return found;
}
