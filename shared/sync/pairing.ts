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
import { otherSide, SIDES } from "../core/types.js";
import { readByIds } from "./byIds.js";
import { viewOf } from "./changeSet.js";
import type { RunContext } from "./context.js";
import { type Prefetched, readNarrow } from "./fullReads.js";
import { matchUnit } from "./match.js";
import { followMerges } from "./merges.js";
import type { PairOf, PairTask, UnitItem } from "./unit.js";

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
 * Where a changed record's linked partner did not change in this run's feeds, the planner takes
 * the partner to hold the baseline. The partner is read by id (one request per unit; on the held
 * side with the unit's narrow records where it has any: `prefetched`, fullReads.ts) where that is
 * not enough:
 * - a field one side is master of can only be put back on the other side (drift) with the
 *   master's current value: the stored baseline is a fingerprint, not a value;
 * - a field whose next flip parks it (core/oscillation.ts): the guard parks only with both
 *   sides' values in hand, for a person to decide on;
 * - a record retried from the ledger: its failed attempt may have taken the partner's change
 *   from the held feed (a person's edit between the run's read and its write answered 412), and
 *   that feed's cursor moved past it. Planned against the baseline, the partner's change would
 *   be lost and its write refused again and again for the version the link still holds.
 */
async function withMasters(ctx: RunContext, tasks: PairTask[], prefetched?: Prefetched): Promise<PairTask[]> {
  // Only the held side's changes are taken as partners (linkedTask): the partner of a retried streamed record.
  const retried = (t: PairOf) => otherSide(t.item.side) === ctx.hold && ctx.ledger.retries(t.item.side, t.item.id);
  /** The partner's id of each task whose partner is read. */
  const reading = new Map<PairTask, string>();
  for (const t of tasks) {
    if (t.kind !== "pair" || !t.link) continue;
    if ((otherSide(t.item.side) === "meander" ? t.meander : t.portal).state !== "unchanged") continue;
    if (!retried(t) && !wantsPartner(ctx, t.item, t.link, t.resolutions !== undefined)) continue;
    reading.set(t, otherSide(t.item.side) === "meander" ? t.link.meanderId : t.link.portalId);
  }
  if (reading.size === 0) return tasks;
  const read = new Map<string, SideView>();
  for (const [id, record] of prefetched?.records ?? []) read.set(`${prefetched!.side}:${id}`, viewOf(ctx.compiled, prefetched!.side, record));
  for (const side of SIDES) {
    const ids = [...reading].filter(([t]) => otherSide(t.item.side) === side).map(([, id]) => id);
    // Those the unit's read of narrow records brought already; one it asked for and did not find is asked again on its own.
    const wanted = [...new Set(ids)].filter((id) => !read.has(`${side}:${id}`));
    if (wanted.length === 0) continue;
    const { records, gone } = await readByIds(ctx, side, wanted);
    for (const record of records) read.set(`${side}:${record.id}`, viewOf(ctx.compiled, side, record));
    for (const id of gone) read.set(`${side}:${id}`, { state: "deleted", id });
  }
  return tasks.map((t) => {
    const id = reading.get(t);
    if (t.kind !== "pair" || id === undefined) return t;
    const partner = otherSide(t.item.side);
    const view = read.get(`${partner}:${id}`);
    // A partner gone since is a deletion only for a retried pair (its tombstone may be what the failed attempt took).
    if (!view || (view.state === "deleted" && !retried(t))) return t;
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
