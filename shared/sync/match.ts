/**
 * Records without a link, matched to the other side: zero candidates, create; one, couple;
 * several, or only candidates already coupled to someone else: park as "ambiguous" and
 * create nothing. A person's decision on an ambiguous match overrides the search.
 */
import { conflictIdFor } from "../core/ids.js";
import { findPartner, sameId } from "../core/matching.js";
import { getPath } from "../core/paths.js";
import { leftByScopeExit } from "../core/scopeReturn.js";
import type { Side, SideRecord, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { pointsAt, remoteCandidates } from "./candidates.js";
import { sharesKey } from "./changeSet.js";
import { type RunContext, sideOf } from "./context.js";
import { staleHolder } from "./merges.js";
import { type KeyRelease, type PairOf, type PairTask, recordOf, type UnitItem } from "./unit.js";

const ABSENT: SideView = { state: "absent" };

export async function matchUnit(ctx: RunContext, items: readonly UnitItem[]): Promise<PairTask[]> {
  const partner = otherSide(items[0]!.side);
  const records = new Map<string, SideRecord>();
  const candidateIds = new Map<string, Set<string>>();
  const { config } = ctx.compiled;
  const local = ctx.feeds.heldOf(partner);

  /** Per item, the candidates only the key index names: each must share a key with it once read (a hash may be all they share). */
  const unchecked = new Map<string, Set<string>>();
  for (const item of items) {
    const local = localCandidates(ctx, item);
    candidateIds.set(item.id, local.ids);
    unchecked.set(item.id, local.indexOnly);
  }

  // Only ask the other side when what we hold is not all of it.
  const needsRemote = !ctx.feeds.complete(partner) && (config.matchKeys.length > 0 || config[partner].linkField !== undefined);
  if (needsRemote && !(partner === "portal" && config.matchKeys.length === 0 && config.portal.alternateKey)) {
    for (const found of await remoteCandidates(ctx, partner, items)) {
      records.set(found.id, found);
      // Read with every mapped column: a narrow held record (fullReads.ts) is complete now.
      local?.complete(found.id, found);
      for (const item of items) {
        if (pointsAt(ctx.compiled, item.side, recordOf(item), found)) {
          candidateIds.get(item.id)?.add(found.id);
          unchecked.get(item.id)?.delete(found.id);
        }
      }
    }
  }

  const allIds = new Set<string>();
  for (const ids of candidateIds.values()) for (const id of ids) allIds.add(id);
  const missing: string[] = [];
  for (const id of allIds) {
    const held = local?.record(id);
    if (held && !held.narrow) records.set(id, held);
    else if (!records.has(id)) missing.push(id);
  }
  if (missing.length > 0) {
    const { port, entity } = sideOf(ctx, partner);
    for (const record of await port.getByIds(entity, missing)) {
      records.set(record.id, record);
      local?.complete(record.id, record);
    }
  }
  await ctx.links.load([...allIds].map((id) => ({ side: partner, id })));

  const tasks: PairTask[] = [];
  for (const item of items) {
    const record = recordOf(item);
    const doubtful = unchecked.get(item.id);
    const ids = [...(candidateIds.get(item.id) ?? [])].filter(
      (id) => records.has(id) && (!doubtful?.has(id) || sharesKey(ctx.compiled, partner, records.get(id)!, record)),
    );
    const taken = new Set(ids.filter((id) => ctx.claims.claimedByOther(partner, id, item) || ctx.links.get(partner, id) !== undefined));
    const forced = ctx.decisions.pendingPartner(item.side, item.id);
    let result = findPartner(
      ctx.compiled,
      item.side,
      record,
      ids.map((id) => records.get(id)!),
      taken,
    );
    // Back in scope: the partner its scope exit left (out of match scope now, e.g. retired) is its partner again.
    const former = result.kind === "none" && forced === undefined ? formerPartner(ctx, item.side, record, ids, records, taken) : undefined;
    if (former) result = { kind: "one", partner: former, by: "linkField", autoCouple: true };
    if (forced === null) result = { kind: "none" };
    else if (typeof forced === "string" && records.has(forced) && !taken.has(forced)) {
      result = { kind: "one", partner: records.get(forced)!, by: "resolution", autoCouple: true };
    }
    // A person's decision on a review item: the pair carries the item so it is marked applied.
    const decided =
      forced === undefined
        ? {}
        : {
            conflictId:
              ctx.decisions.partnerItem(item.side, item.id) ??
              conflictIdFor("ambiguous", item.side === "meander" ? item.id : undefined, item.side === "portal" ? item.id : undefined),
          };
    if (result.kind === "one" && !result.autoCouple) {
      local?.take(result.partner.id);
      tasks.push({ kind: "confirmMatch", item, candidate: result.partner, by: result.by });
    } else if (result.kind === "one") {
      ctx.claims.couple(item, { side: partner, id: result.partner.id });
      const partnerView: SideView = local?.take(result.partner.id) ?? { state: "present", record: result.partner };
      const coupled: SideView = partnerView.state === "outOfScope" ? { state: "present", record: partnerView.record } : partnerView;
      tasks.push({
        ...pairOf(item, coupled.state === "present" ? coupled : { state: "present", record: result.partner }),
        ...decided,
        ...(former ? { returning: item.side } : {}),
        ...release(ctx, item, result.partner.id, records),
      });
    } else if (result.kind === "ambiguous" || (taken.size > 0 && forced !== null)) {
      const candidates = result.kind === "ambiguous" ? result.candidates : [...taken];
      for (const id of candidates) local?.take(id);
      const candidateRecords = candidates.map((id) => records.get(id)).filter((r): r is SideRecord => r !== undefined);
      tasks.push({ kind: "ambiguous", item, candidates, candidateRecords, ...(result.kind === "ambiguous" ? { by: result.by } : {}) });
    } else {
      ctx.claims.creating(item);
      tasks.push({ ...pairOf(item, ABSENT), ...decided, ...(forced === null ? { forceCreate: true } : {}) });
    }
  }
  return tasks;
}

/**
 * The candidates of an unlinked record that the run already knows of: by the other side's held
 * changes or key index, a person's pending decision, and the partner its link field still names.
 */
export function localCandidateIds(ctx: RunContext, item: UnitItem): Set<string> {
  return localCandidates(ctx, item).ids;
}

/** localCandidateIds, and of them those only the key index names (not a pending decision, not the former partner). */
function localCandidates(ctx: RunContext, item: UnitItem): { ids: Set<string>; indexOnly: Set<string> } {
  const partner = otherSide(item.side);
  const record = recordOf(item);
  const indexOnly = ctx.feeds.heldOf(partner)?.candidateIds(record) ?? ctx.feeds.indexOf(partner)?.candidateIds(record) ?? new Set<string>();
  const ids = new Set(indexOnly);
  const forced = ctx.decisions.pendingPartner(item.side, item.id);
  for (const id of [typeof forced === "string" ? forced : undefined, formerPartnerId(ctx, item.side, record)]) {
    if (!id) continue;
    ids.add(id);
    indexOnly.delete(id);
  }
  return { ids, indexOnly };
}

/** The id a record's own link field still names, where the other side has a scope exit that could have left it (none otherwise). */
function formerPartnerId(ctx: RunContext, side: Side, record: SideRecord): string | undefined {
  const field = ctx.compiled.config[side].linkField;
  if (!field || !ctx.compiled.config.scopeExit?.[otherSide(side)]) return undefined;
  const named = getPath(record.data, field);
  return typeof named === "string" && named ? named : undefined;
}

/** The candidate its link field names, untaken and exactly as a scope exit left it: the pair the service unlinked when this record left scope. */
function formerPartner(
  ctx: RunContext,
  side: Side,
  record: SideRecord,
  ids: readonly string[],
  records: ReadonlyMap<string, SideRecord>,
  taken: ReadonlySet<string>,
): SideRecord | undefined {
  const named = formerPartnerId(ctx, side, record);
  const id = named && ids.find((c) => sameId(c, named));
  const candidate = id ? records.get(id) : undefined;
  return candidate && !taken.has(candidate.id) && leftByScopeExit(ctx.compiled, side, candidate) ? candidate : undefined;
}

/** A contact merged away that still holds this Meander record's id as its key gives it up before the coupling (merges.ts). */
function release(ctx: RunContext, item: UnitItem, partnerId: string, records: ReadonlyMap<string, SideRecord>): { release?: KeyRelease } {
  if (item.side !== "meander") return {};
  const holder = staleHolder(ctx, item.id, partnerId, records.values());
  return holder ? { release: holder } : {};
}

function pairOf(item: UnitItem, partnerView: SideView): PairOf {
  return {
    kind: "pair",
    item,
    meander: item.side === "meander" ? item.view : partnerView,
    portal: item.side === "portal" ? item.view : partnerView,
  };
}
