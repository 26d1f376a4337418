/**
 * A linked contact merged into another (Dataverse Merge: the subordinate is deactivated,
 * `merged` set, `masterid` naming the survivor): the member is the survivor now, so the
 * Meander record's link moves there. The pair becomes an ordinary coupling of the Meander
 * record and the survivor (no baseline: the portal's member data flows to Meander, Meander's
 * likeperson data to the contact, both link fields written), planned against versions read
 * in this run: the survivor's own (the Merge changed it), never the subordinate's.
 *
 * Where it cannot move without a second partner, or the survivor is no active contact, it
 * parks an `ambiguous` item naming the survivor for a person, and writes nothing.
 */
import { writesTo } from "../core/compile.js";
import { isMissing } from "../core/mapping.js";
import { inScope, sameId } from "../core/matching.js";
import type { Link, SideRecord, SideView } from "../core/types.js";
import type { WriteOutcome } from "../ports.js";
import { type RunContext, sideOf } from "./context.js";
import type { KeyRelease, MergeMove, PairOf, PairTask, UnitItem } from "./unit.js";
import type { Planned } from "./writes.js";

/** Merges of merges are followed this far; a longer chain (or a loop) is left to the planner, which unlinks. */
const MAX_HOPS = 5;

type Survivor = { readonly record: SideRecord; readonly full: boolean };

/** Pairs whose portal record was merged into another become moves (or review items); the others pass. */
export async function followMerges(ctx: RunContext, tasks: readonly PairTask[]): Promise<PairTask[]> {
  const masterField = ctx.compiled.config.portal.masterField;
  if (!masterField || !tasks.some((t) => masterOf(ctx, t) !== undefined)) return [...tasks];
  const out: PairTask[] = [];
  const movedTo = new Set<string>();
  for (const task of tasks) {
    const master = masterOf(ctx, task);
    if (master === undefined || task.kind !== "pair" || !task.link) {
      out.push(task);
      continue;
    }
    const next = await move(ctx, task, task.link, master);
    if (next.kind === "pair" && next.moved) movedTo.add(next.moved.survivorId.toLowerCase());
    out.push(next);
  }
  // The survivor's own change in this unit is the move now, not a record to match (it would find the Meander record taken, or create one).
  return out.map((t) =>
    t.item.side === "portal" && movedTo.has(t.item.id.toLowerCase()) && !(t.kind === "pair" && t.link) ? { kind: "skip", item: t.item } : t,
  );
}

/** The record a linked pair's portal record was merged into, when it was. */
function masterOf(ctx: RunContext, task: PairTask): string | undefined {
  const field = ctx.compiled.config.portal.masterField;
  if (!field || task.kind !== "pair" || !task.link || task.portal.state !== "outOfScope") return undefined;
  if (task.meander.state === "deleted" || task.meander.state === "outOfScope") return undefined;
  const master = task.portal.record.data[field];
  return typeof master === "string" && master && !sameId(master, task.link.portalId) ? master : undefined;
}

async function move(ctx: RunContext, task: PairOf, link: Link, master: string): Promise<PairTask> {
  const survivor = await survivorOf(ctx, master);
  if (!survivor) return task;
  const meander = await meanderRecord(ctx, task, link);
  if (!meander) return task;
  const id = survivor.record.id;
  const item: UnitItem = { side: "meander", id: link.meanderId, view: { state: "present", record: meander } };
  const moved: MergeMove = { from: link, survivorId: id };

  await ctx.links.load([{ side: "portal", id }]);
  const taken = ctx.links.get("portal", id);
  const linkField = ctx.compiled.config.portal.linkField;
  const names = linkField ? survivor.record.data[linkField] : undefined;
  // Linked, claimed in this run, or naming another Meander record in its link field: it has a partner already.
  const twoPartners =
    (taken !== undefined && !sameId(taken.meanderId, link.meanderId)) ||
    ctx.claims.claimedByOther("portal", id, item) ||
    (!isMissing(names) && !sameId(names, link.meanderId));
  if (twoPartners || !active(survivor.record)) {
    // Its values for the item only when it is a likeperson (in scope): an out-of-scope contact's personal data is not read.
    // Its own change (if any) is still processed with its own partner: it is not taken from the held changes.
    const shown = survivor.full || !inScope(ctx.compiled.config.portal.scope, survivor.record.data) ? survivor.record : await fullRecord(ctx, id);
    return {
      kind: "ambiguous",
      item,
      candidates: [id],
      candidateRecords: shown ? [shown] : [],
      by: ctx.compiled.config.portal.masterField!,
      moved,
    };
  }

  // Coupled with it, the survivor becomes the likeperson's contact: its mapped columns are read now, current.
  const record = survivor.full ? survivor.record : await fullRecord(ctx, id);
  if (!record) return task;
  ctx.feeds.heldOf("portal")?.take(id);
  ctx.claims.couple(item, { side: "portal", id });
  const old = task.portal.state === "outOfScope" ? task.portal.record : undefined;
  const release =
    old && linkField && sameId(old.data[linkField], link.meanderId) ? { id: old.id, ...(old.version ? { version: old.version } : {}) } : undefined;
  const view: SideView = { state: "present", record };
  return {
    kind: "pair",
    item: task.item,
    meander: { state: "present", record: meander },
    portal: view,
    moved,
    ...(release ? { release } : {}),
  };
}

/** The end of the merge chain from `id`, as held or read narrowly (id, scope, state, link and master columns); undefined when gone or too long. */
async function survivorOf(ctx: RunContext, first: string): Promise<Survivor | undefined> {
  const field = ctx.compiled.config.portal.masterField!;
  const held = ctx.feeds.heldOf("portal");
  const seen = new Set<string>();
  let id = first;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    seen.add(id.toLowerCase());
    const view = held?.peek(id);
    const record = view && (view.state === "present" || view.state === "outOfScope") ? view.record : await narrowRecord(ctx, id);
    if (!record) return undefined;
    const next = record.data[field];
    if (typeof next === "string" && next && !seen.has(next.toLowerCase())) {
      id = next;
      continue;
    }
    if (typeof next === "string" && next && !sameId(next, record.id)) return undefined;
    return { record, full: view?.state === "present" && !view.record.narrow };
  }
  return undefined;
}

async function narrowRecord(ctx: RunContext, id: string): Promise<SideRecord | undefined> {
  const { portal } = ctx.compiled.config;
  const select = [...new Set([...portal.scope.map((f) => f.field), ...(portal.linkField ? [portal.linkField] : []), portal.masterField!, "statecode"])];
  const { port, entity } = sideOf(ctx, "portal");
  return (await port.getByIds(entity, [id], { select }))[0];
}

async function fullRecord(ctx: RunContext, id: string): Promise<SideRecord | undefined> {
  const { port, entity } = sideOf(ctx, "portal");
  return (await port.getByIds(entity, [id]))[0];
}

async function meanderRecord(ctx: RunContext, task: PairOf, link: Link): Promise<SideRecord | undefined> {
  if (task.meander.state === "present") return task.meander.record;
  const { port, entity } = sideOf(ctx, "meander");
  return (await port.getByIds(entity, [link.meanderId]))[0];
}

/**
 * Coupling a Meander record with a contact by a match key (not by a move) while a contact merged
 * away still holds the Meander id in its link field (a pair from before the merge whose link was
 * lost, or one an older version unlinked at the merge): that holder gives up the key first.
 */
export function staleHolder(ctx: RunContext, meanderId: string, partnerId: string, candidates: Iterable<SideRecord>): KeyRelease | undefined {
  const { linkField, masterField } = ctx.compiled.config.portal;
  if (!linkField || !masterField) return undefined;
  for (const c of candidates) {
    const master = c.data[masterField];
    if (sameId(c.id, partnerId) || !sameId(c.data[linkField], meanderId) || typeof master !== "string" || !master) continue;
    return { id: c.id, ...(c.version ? { version: c.version } : {}) };
  }
  return undefined;
}

/** Dataverse's statecode 0 is Active; a table without the column counts as active. */
const active = (record: SideRecord): boolean => record.data.statecode === undefined || record.data.statecode === null || record.data.statecode === 0;

/**
 * Before a moved pair's writes: the merged-away record gives up the Meander id in its link
 * field, an alternate key the survivor is about to take. An alternate key's value is unique
 * across the table, inactive records included
 * (https://learn.microsoft.com/power-apps/developer/data-platform/define-alternate-keys-entity):
 * the survivor's write would fail (412, 0x80040237 "matching key values already exists") for
 * as long as the merged-away record holds it. Only that column is written, against the version
 * read; the batch parts are not ordered, hence a write of its own first. Returns the pairs whose
 * release failed: they write nothing else and go to the ledger.
 */
export async function releaseKeys(ctx: RunContext, planned: readonly Planned[]): Promise<Map<Planned, WriteOutcome>> {
  const field = ctx.compiled.config.portal.linkField;
  const failed = new Map<Planned, WriteOutcome>();
  const wanted = planned.filter((p) => p.task.release && p.plan.actions.length > 0);
  if (!field || wanted.length === 0 || !writesTo(ctx.compiled.config.direction, "portal")) return failed;
  const { port, entity } = sideOf(ctx, "portal");
  const outcomes = await port.write(
    entity,
    wanted.map((p, i) => {
      const release = p.task.release!;
      return { op: "update" as const, ref: `release.${i}`, id: release.id, data: { [field]: null }, ...(release.version ? { ifMatch: release.version } : {}) };
    }),
  );
  const byRef = new Map(outcomes.map((o) => [o.ref, o]));
  wanted.forEach((p, i) => {
    const outcome = byRef.get(`release.${i}`);
    if (outcome && !outcome.ok) failed.set(p, outcome);
  });
  return failed;
}
