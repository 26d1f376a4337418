/**
 * Records without a link, matched to the other side: zero candidates, create; one, couple;
 * several, or only candidates already coupled to someone else: park as "ambiguous" and
 * create nothing. A person's decision on an ambiguous match overrides the search.
 */
import { conflictIdFor } from "../core/ids.js";
import { findPartner } from "../core/matching.js";
import type { SideRecord, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { pointsAt, remoteCandidates } from "./candidates.js";
import { type RunContext, sideOf } from "./context.js";
import { type PairOf, type PairTask, recordOf, type UnitItem } from "./unit.js";

const ABSENT: SideView = { state: "absent" };

export async function matchUnit(ctx: RunContext, items: readonly UnitItem[]): Promise<PairTask[]> {
  const partner = otherSide(items[0]!.side);
  const records = new Map<string, SideRecord>();
  const candidateIds = new Map<string, Set<string>>();
  const { config } = ctx.compiled;
  const local = ctx.feeds.heldOf(partner);
  const index = ctx.feeds.indexOf(partner);

  for (const item of items) {
    const record = recordOf(item);
    const ids = local?.candidateIds(record) ?? index?.candidateIds(record) ?? new Set<string>();
    const forced = ctx.decisions.pendingPartner(item.side, item.id);
    if (typeof forced === "string") ids.add(forced);
    candidateIds.set(item.id, ids);
  }

  // Only ask the other side when what we hold is not all of it.
  const needsRemote = !ctx.feeds.complete(partner) && (config.matchKeys.length > 0 || config[partner].linkField !== undefined);
  if (needsRemote && !(partner === "portal" && config.matchKeys.length === 0 && config.portal.alternateKey)) {
    for (const found of await remoteCandidates(ctx, partner, items)) {
      records.set(found.id, found);
      for (const item of items) {
        if (pointsAt(ctx.compiled, item.side, recordOf(item), found)) candidateIds.get(item.id)?.add(found.id);
      }
    }
  }

  const allIds = new Set<string>();
  for (const ids of candidateIds.values()) for (const id of ids) allIds.add(id);
  const missing: string[] = [];
  for (const id of allIds) {
    const held = local?.record(id);
    if (held) records.set(id, held);
    else if (!records.has(id)) missing.push(id);
  }
  if (missing.length > 0) {
    const { port, entity } = sideOf(ctx, partner);
    for (const record of await port.getByIds(entity, missing)) records.set(record.id, record);
  }
  await ctx.links.load([...allIds].map((id) => ({ side: partner, id })));

  const tasks: PairTask[] = [];
  for (const item of items) {
    const record = recordOf(item);
    const ids = [...(candidateIds.get(item.id) ?? [])].filter((id) => records.has(id));
    const taken = new Set(ids.filter((id) => ctx.claims.claimedByOther(partner, id, item) || ctx.links.get(partner, id) !== undefined));
    const forced = ctx.decisions.pendingPartner(item.side, item.id);
    let result = findPartner(
      ctx.compiled,
      item.side,
      record,
      ids.map((id) => records.get(id)!),
      taken,
    );
    if (forced === null) result = { kind: "none" };
    else if (typeof forced === "string" && records.has(forced) && !taken.has(forced)) {
      result = { kind: "one", partner: records.get(forced)!, by: "resolution" };
    }
    // A person's decision on an ambiguous match: the pair carries the conflict so it is marked applied.
    const decided =
      forced === undefined
        ? {}
        : { conflictId: conflictIdFor("ambiguous", item.side === "meander" ? item.id : undefined, item.side === "portal" ? item.id : undefined) };
    if (result.kind === "one") {
      ctx.claims.couple(item, { side: partner, id: result.partner.id });
      const partnerView: SideView = local?.take(result.partner.id) ?? { state: "present", record: result.partner };
      const coupled: SideView = partnerView.state === "outOfScope" ? { state: "present", record: partnerView.record } : partnerView;
      tasks.push({ ...pairOf(item, coupled.state === "present" ? coupled : { state: "present", record: result.partner }), ...decided });
    } else if (result.kind === "ambiguous" || (taken.size > 0 && forced !== null)) {
      const candidates = result.kind === "ambiguous" ? result.candidates : [...taken];
      for (const id of candidates) local?.take(id);
      tasks.push({ kind: "ambiguous", item, candidates });
    } else {
      ctx.claims.creating(item);
      tasks.push(pairOf(item, ABSENT));
    }
  }
  return tasks;
}

function pairOf(item: UnitItem, partnerView: SideView): PairOf {
  return {
    kind: "pair",
    item,
    meander: item.side === "meander" ? item.view : partnerView,
    portal: item.side === "portal" ? item.view : partnerView,
  };
}
