/**
 * Step 3: link each changed record to its partner — by stored link, else by the partner's
 * link field or the match keys (match.ts). Returns one task per record; the only state it
 * changes is the run's claims and the held changes it takes.
 */
import { needsPartnerValues } from "../core/drift.js";
import { matchable } from "../core/matching.js";
import { FLIPS_TO_PARK } from "../core/oscillation.js";
import type { Link, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { viewOf } from "./changeSet.js";
import { type RunContext, sideOf } from "./context.js";
import { matchUnit } from "./match.js";
import { followMerges } from "./merges.js";
import type { PairTask, UnitItem } from "./unit.js";

const UNCHANGED: SideView = { state: "unchanged" };

export async function pairUnit(ctx: RunContext, items: readonly UnitItem[]): Promise<PairTask[]> {
  await ctx.links.load(items.map(({ side, id }) => ({ side, id })));
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
  return followMerges(ctx, await withMasters(ctx, tasks));
}

/**
 * A field one side is master of can only be put back on the other side (drift) with the
 * master's current value: the stored baseline is a fingerprint, not a value. So where a
 * changed record's partner did not change and the record drifted in a field the partner is
 * master of (shared/core/drift.ts), the partner is read by id (one request per unit).
 */
async function withMasters(ctx: RunContext, tasks: PairTask[]): Promise<PairTask[]> {
  const oneWay = ctx.compiled.fields.some((f) => f.direction !== "both");
  // A field whose next flip parks it (core/oscillation.ts): the guard parks only with both
  // sides' values in hand, for a person to decide on, so the unchanged partner is read.
  const flipping = (link: Link) => Object.values(link.loops ?? {}).some((e) => e.n >= FLIPS_TO_PARK - 1);
  if (!oneWay && !tasks.some((t) => t.kind === "pair" && t.link && flipping(t.link))) return tasks;
  const wanted: Record<"meander" | "portal", string[]> = { meander: [], portal: [] };
  for (const t of tasks) {
    if (t.kind !== "pair" || !t.link || t.item.view.state !== "present" || !(oneWay || flipping(t.link))) continue;
    const partner = otherSide(t.item.side);
    if ((partner === "meander" ? t.meander : t.portal).state !== "unchanged") continue;
    // A person's decision is applied with both sides' current values, as it always was.
    if (!t.resolutions && !flipping(t.link) && !needsPartnerValues(ctx.compiled, t.item.side, t.item.view.record, t.link, ctx.deps.baselineFingerprint))
      continue;
    wanted[partner].push(partner === "meander" ? t.link.meanderId : t.link.portalId);
  }
  const read = new Map<string, SideView>();
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
