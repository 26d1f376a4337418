/**
 * Step 3: link each changed record to its partner — by stored link, else by the partner's
 * link field or the match keys (match.ts). Returns one task per record; the only state it
 * changes is the run's claims and the held changes it takes.
 */
import type { Link, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import type { RunContext } from "./context.js";
import { matchUnit } from "./match.js";
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
  return tasks;
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
