/**
 * Step 3: link each changed record to its partner — by stored link, else by the partner's
 * link field or the match keys. Zero candidates: create; one: couple; several, or only
 * candidates already coupled to someone else: park as "ambiguous" and create nothing.
 */
import { conflictIdFor } from "../core/ids.js";
import { findPartner, keyVariants, matchable } from "../core/matching.js";
import { getPath } from "../core/paths.js";
import type { Link, Resolution, Scalar, Side, SideRecord, SideView } from "../core/types.js";
import { otherSide } from "../core/types.js";
import type { Run } from "./run.js";
import { linkKey } from "./run.js";

export interface UnitItem {
  readonly side: Side;
  readonly id: string;
  readonly view: SideView;
}

export type PairTask =
  | {
      readonly kind: "pair";
      readonly item: UnitItem;
      readonly link?: Link;
      readonly meander: SideView;
      readonly portal: SideView;
      readonly resolutions?: readonly Resolution[];
      /** The open conflict these resolutions settle. */
      readonly conflictId?: string;
      /** A person asked for a new partner record. */
      readonly forceCreate?: boolean;
    }
  | {
      readonly kind: "ambiguous";
      readonly item: UnitItem;
      readonly candidates: readonly string[];
      readonly by?: string;
      /** The candidates' records, where read: what a person sees to decide. */
      readonly candidateRecords?: readonly SideRecord[];
    }
  /** One candidate by a key that may not couple on its own: a person confirms. */
  | { readonly kind: "confirmMatch"; readonly item: UnitItem; readonly candidate: SideRecord; readonly by: string }
  | { readonly kind: "skip"; readonly item: UnitItem };

const UNCHANGED: SideView = { state: "unchanged" };
/** Unmatched items are present records by construction (see pairUnit). */
const recordOf = (item: UnitItem): SideRecord => (item.view as { record: SideRecord }).record;
const ABSENT: SideView = { state: "absent" };

export async function pairUnit(run: Run, items: readonly UnitItem[]): Promise<PairTask[]> {
  await run.getLinks(items.map(({ side, id }) => ({ side, id })));
  const tasks: PairTask[] = [];
  const unmatched: UnitItem[] = [];
  for (const item of items) {
    const link = run.linkOf(item.side, item.id);
    if (link) {
      tasks.push(linkedTask(run, item, link));
    } else if (item.view.state === "present" && !matchable(run.compiled, item.side, item.view.record) && run.pendingPartner(item.side, item.id) === undefined) {
      // An unlinked record outside its side's match scope (a retired likeperson whose contact left) is left alone.
      tasks.push({ kind: "skip", item });
    } else if (item.view.state === "present" && run.inOpenAmbiguity(item.side, item.id) && run.pendingPartner(item.side, item.id) === undefined) {
      // Part of an ambiguous match a person has not decided yet: neither coupled nor created.
      tasks.push({ kind: "skip", item });
    } else if (item.view.state === "present") {
      unmatched.push(item);
    } else {
      tasks.push({ kind: "skip", item });
    }
  }
  if (unmatched.length > 0) tasks.push(...(await matchUnit(run, unmatched)));
  return tasks;
}

function linkedTask(run: Run, item: UnitItem, link: Link): PairTask {
  const partner = otherSide(item.side);
  const partnerId = partner === "meander" ? link.meanderId : link.portalId;
  const partnerView = (run.hold === partner ? run.holdSet?.take(partnerId) : undefined) ?? UNCHANGED;
  const pending = run.pendingResolution(link.meanderId, link.portalId);
  return {
    kind: "pair",
    item,
    link,
    meander: item.side === "meander" ? item.view : partnerView,
    portal: item.side === "portal" ? item.view : partnerView,
    ...(pending ? { resolutions: pending.resolutions, conflictId: pending.conflictId } : {}),
  };
}

async function matchUnit(run: Run, items: readonly UnitItem[]): Promise<PairTask[]> {
  const partner = otherSide(items[0]!.side);
  const records = new Map<string, SideRecord>();
  const candidateIds = new Map<string, Set<string>>();
  const { config } = run.compiled;
  const local = partner === run.hold ? run.holdSet : undefined;
  const index = partner === run.stream ? run.streamIndex : undefined;

  for (const item of items) {
    const record = recordOf(item);
    const ids = local?.candidateIds(record) ?? index?.candidateIds(record) ?? new Set<string>();
    const forced = run.pendingPartner(item.side, item.id);
    if (typeof forced === "string") ids.add(forced);
    candidateIds.set(item.id, ids);
  }

  // Only ask the other side when what we hold is not all of it.
  const partnerComplete = partner === run.hold ? Boolean(local?.full) : partner === run.stream ? run.streamFull : false;
  const needsRemote = !partnerComplete && (config.matchKeys.length > 0 || config[partner].linkField !== undefined);
  if (needsRemote && !(partner === "portal" && config.matchKeys.length === 0 && config.portal.alternateKey)) {
    for (const found of await remoteCandidates(run, partner, items)) {
      records.set(found.id, found);
      for (const item of items) {
        const record = recordOf(item);
        if (pointsAt(run, item.side, record, found)) candidateIds.get(item.id)?.add(found.id);
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
    for (const record of await run.side(partner).getByIds(run.entity(partner), missing)) records.set(record.id, record);
  }
  await run.getLinks([...allIds].map((id) => ({ side: partner, id })));

  const tasks: PairTask[] = [];
  for (const item of items) {
    const record = recordOf(item);
    const ids = [...(candidateIds.get(item.id) ?? [])].filter((id) => records.has(id));
    const self = linkKey(item.side, item.id);
    const claimedByOther = (id: string) => run.claimed.has(linkKey(partner, id)) && run.claimed.get(linkKey(partner, id)) !== self;
    const taken = new Set(ids.filter((id) => claimedByOther(id) || run.linkOf(partner, id) !== undefined));
    const forced = run.pendingPartner(item.side, item.id);
    let result = findPartner(
      run.compiled,
      item.side,
      record,
      ids.map((id) => records.get(id)!),
      taken,
    );
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
              run.partnerConflicts.get(self) ??
              conflictIdFor("ambiguous", item.side === "meander" ? item.id : undefined, item.side === "portal" ? item.id : undefined),
          };
    if (result.kind === "one" && !result.autoCouple) {
      local?.take(result.partner.id);
      tasks.push({ kind: "confirmMatch", item, candidate: result.partner, by: result.by });
    } else if (result.kind === "one") {
      run.claimed.set(linkKey(partner, result.partner.id), self);
      run.claimed.set(self, linkKey(partner, result.partner.id));
      const partnerView: SideView = local?.take(result.partner.id) ?? { state: "present", record: result.partner };
      const coupled: SideView = partnerView.state === "outOfScope" ? { state: "present", record: partnerView.record } : partnerView;
      tasks.push({ ...pairOf(item, coupled.state === "present" ? coupled : { state: "present", record: result.partner }), ...decided });
    } else if (result.kind === "ambiguous" || (taken.size > 0 && forced !== null)) {
      const candidates = result.kind === "ambiguous" ? result.candidates : [...taken];
      for (const id of candidates) local?.take(id);
      const candidateRecords = candidates.map((id) => records.get(id)).filter((r): r is SideRecord => r !== undefined);
      tasks.push({ kind: "ambiguous", item, candidates, candidateRecords, ...(result.kind === "ambiguous" ? { by: result.by } : {}) });
    } else {
      run.claimed.set(self, self);
      tasks.push({ ...pairOf(item, ABSENT), ...decided, ...(forced === null ? { forceCreate: true } : {}) });
    }
  }
  return tasks;
}

function pairOf(item: UnitItem, partnerView: SideView): Extract<PairTask, { kind: "pair" }> {
  return {
    kind: "pair",
    item,
    meander: item.side === "meander" ? item.view : partnerView,
    portal: item.side === "portal" ? item.view : partnerView,
  };
}

/** Candidates on the other side, in as few requests as the side allows. */
async function remoteCandidates(run: Run, partner: Side, items: readonly UnitItem[]): Promise<SideRecord[]> {
  const { config } = run.compiled;
  const side = run.side(partner);
  const entity = run.entity(partner);
  const lookups: Promise<SideRecord[]>[] = [];
  const linkField = config[partner].linkField;
  if (linkField)
    lookups.push(
      side.findByField(
        entity,
        linkField,
        items.map((i) => i.id),
      ),
    );
  for (const key of config.matchKeys) {
    const fromPath = partner === "portal" ? key.meander : key.portal;
    const values = new Set<Scalar>();
    for (const item of items) {
      const value = getPath(recordOf(item).data, fromPath);
      for (const variant of keyVariants(key.normalize, value)) values.add(variant);
    }
    if (values.size > 0) lookups.push(side.findByField(entity, partner === "portal" ? key.portal : key.meander, [...values]));
  }
  const seen = new Map<string, SideRecord>();
  for (const list of await Promise.all(lookups)) for (const record of list) seen.set(record.id, record);
  return [...seen.values()];
}

/** Whether `candidate` (other side) could be `record`'s partner: same test as findPartner, before it decides. */
function pointsAt(run: Run, side: Side, record: SideRecord, candidate: SideRecord): boolean {
  return findPartner(run.compiled, side, record, [candidate], new Set()).kind === "one";
}
