/**
 * Step 3: link each changed record to its partner — by stored link, else by the partner's
 * link field or the match keys (match.ts). Returns one task per record; the only state it
 * changes is the run's claims and the held changes it takes, and the held records it reads
 * in full: a unit first reads what it needs of the held side's narrow records (fullReads.ts),
 * with the unchanged partners its drift needs, in one read by id.
 */
import { needsPartnerValues } from "../core/drift.js";
import { matchable } from "../core/matching.js";
import { FLIPS_TO_PARK } from "../core/oscillation.js";
import type { Link, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { viewOf } from "./changeSet.js";
import { type RunContext, sideOf } from "./context.js";
import { type Prefetched, readNarrow } from "./fullReads.js";
import { matchUnit } from "./match.js";
import { followMerges } from "./merges.js";
import type { PairTask, UnitItem } from "./unit.js";

const UNCHANGED: SideView = { state: "unchanged" };

export async function pairUnit(ctx: RunContext, unit: readonly UnitItem[]): Promise<PairTask[]> {
  await ctx.links.load(unit.map(({ side, id }) => ({ side, id })));
  const { items, prefetched } = await readNarrow(ctx, unit, (item, link) => wantsPartner(ctx, item, link));
  const tasks: PairTask[] = [];
  const unmatched: UnitItem[] = [];
  for (const item of items) {
    const link = ctx.links.get(item.side, item.id);
    if (link) {
      tasks.push(linkedTask(ctx, item, link));
    } else if (
      item.view.state === "present" &&
      !matchable(ctx.compiled, item.side, item.view.record) &&
      ctx.decisions.pendingPartner(item.side, item.id) === undefined
    ) {
      // An unlinked record outside its side's match scope (a retired likeperson, an inactive contact) is left alone.
      tasks.push({ kind: "skip", item });
    } else if (
      item.view.state === "present" &&
      ctx.decisions.inOpenAmbiguity(item.side, item.id) &&
      ctx.decisions.pendingPartner(item.side, item.id) === undefined
    ) {
      // Part of an ambiguous match a person has not decided yet: neither coupled nor created.
      tasks.push({ kind: "skip", item });
    } else if (item.view.state === "present") {
      unmatched.push(item);
    } else {
      tasks.push({ kind: "skip", item });
    }
  }
  if (unmatched.length > 0) tasks.push(...(await matchUnit(ctx, unmatched)));
  return followMerges(ctx, await withMasters(ctx, tasks, prefetched));
}

/**
 * A field one side is master of can only be put back on the other side (drift) with the
 * master's current value: the stored baseline is a fingerprint, not a value. So where a
 * changed record's partner did not change and the record drifted in a field the partner is
 * master of (shared/core/drift.ts), the partner is read by id (one request per unit; on the
 * held side, with the unit's narrow records where it has any: `prefetched`, fullReads.ts).
 */
async function withMasters(ctx: RunContext, tasks: PairTask[], prefetched?: Prefetched): Promise<PairTask[]> {
  const wanted: Record<"meander" | "portal", string[]> = { meander: [], portal: [] };
  const read = new Map<string, SideView>();
  for (const [id, record] of prefetched?.records ?? []) read.set(`${prefetched!.side}:${id}`, viewOf(ctx.compiled, prefetched!.side, record));
  for (const t of tasks) {
    if (t.kind !== "pair" || !t.link || t.item.view.state !== "present") continue;
    const partner = otherSide(t.item.side);
    if ((partner === "meander" ? t.meander : t.portal).state !== "unchanged") continue;
    if (!wantsPartner(ctx, t.item, t.link, t.resolutions !== undefined)) continue;
    const id = partner === "meander" ? t.link.meanderId : t.link.portalId;
    if (prefetched?.side !== partner || !prefetched.asked.has(id)) wanted[partner].push(id);
  }
  for (const side of ["meander", "portal"] as const) {
    if (wanted[side].length === 0) continue;
    const { port, entity } = sideOf(ctx, side);
    for (const record of await port.getByIds(entity, wanted[side])) read.set(`${side}:${record.id}`, viewOf(ctx.compiled, side, record));
  }
  if (read.size === 0) return tasks;
  return tasks.map((t) => {
    if (t.kind !== "pair" || !t.link || t.item.view.state !== "present") return t;
    const partner = otherSide(t.item.side);
    const view = read.get(`${partner}:${partner === "meander" ? t.link.meanderId : t.link.portalId}`);
    if (!view || (partner === "meander" ? t.meander : t.portal).state !== "unchanged") return t;
    return partner === "meander" ? { ...t, meander: view } : { ...t, portal: view };
  });
}

/**
 * Whether a present, linked changed record needs its unchanged partner's current values: it
 * drifted in a field the partner is master of, a person's decision is applied to the pair (with
 * both sides' current values, as it always was), or a field's next flip parks it (core/oscillation.ts:
 * the guard parks only with both sides' values in hand, for a person to decide on).
 */
function wantsPartner(
  ctx: RunContext,
  item: UnitItem,
  link: Link,
  decided = ctx.decisions.pendingResolution(link.meanderId, link.portalId) !== undefined,
): boolean {
  if (item.view.state !== "present") return false;
  const flipping = Object.values(link.loops ?? {}).some((e) => e.n >= FLIPS_TO_PARK - 1);
  if (!flipping && !ctx.compiled.fields.some((f) => f.direction !== "both")) return false;
  return decided || flipping || needsPartnerValues(ctx.compiled, item.side, item.view.record, link, ctx.deps.baselineFingerprint);
}

function linkedTask(ctx: RunContext, item: UnitItem, link: Link): PairTask {
  const partner = otherSide(item.side);
  const partnerId = partner === "meander" ? link.meanderId : link.portalId;
  const partnerView = ctx.feeds.heldOf(partner)?.take(partnerId) ?? UNCHANGED;
  const pending = ctx.decisions.pendingResolution(link.meanderId, link.portalId);
  return {
    kind: "pair",
    item,
    link,
    meander: item.side === "meander" ? item.view : partnerView,
    portal: item.side === "portal" ? item.view : partnerView,
    ...(pending ? { resolutions: pending.resolutions, conflictId: pending.conflictId } : {}),
  };
}
