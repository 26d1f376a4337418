/**
 * Steps 4–7 for one unit of pairs: plan (pure), guard deletes, write both sides in
 * batches, then save links, ledger entries and conflicts. A pair whose writes did not
 * all succeed keeps its old baseline and goes to the retry ledger; the rest go on.
 * Returns what it did; the run record hears of it through the tracker only.
 */

import { planPairHashed } from "../core/hashedPlan.js";
import { parkedLoopFields } from "../core/oscillation.js";
import { getPath } from "../core/paths.js";
import { ambiguousPlan, confirmMatchPlan } from "../core/planSummary.js";
import type { Link, PairPlan, Side } from "../core/types.js";
import { type SyncErrorInfo, toErrorInfo } from "../errors.js";
import type { ConflictRecord, LookupTarget, WriteOutcome } from "../ports.js";
import { ambiguousConflict, confirmMatchItem, type ItemContext, reviewItemsOf } from "./conflicts.js";
import { pause, type RunContext } from "./context.js";
import { linkBackOf, writeLinkBacks } from "./linkBack.js";
import { releaseKeys } from "./merges.js";
import type { PairOf, PairTask } from "./unit.js";
import { LOOKUP_UNRESOLVED, unresolvedTargets } from "./waiting.js";
import { nextLinkOf, type Planned, writeAll } from "./writes.js";

export interface UnitResult {
  /** Records written (any side): a run that wrote steps past its own writes (engine.ts, echo.ts). */
  readonly written: number;
  /** A side that did not answer a write after its retries: the run stops after this unit. */
  readonly unavailable?: { readonly side: Side; readonly code: string };
  /** Saves the unit's links, ledger entries and review items (none in a dry run): started behind the next unit (saving.ts). */
  readonly save?: () => Promise<void>;
}

export async function applyUnit(ctx: RunContext, tasks: readonly PairTask[]): Promise<UnitResult> {
  const { tracker, decisions } = ctx;
  await ctx.ledger.ready();
  const lookups = await resolveLookups(ctx, tasks);
  const planned: Planned[] = [];
  const conflicts: ConflictRecord[] = [];
  const now = ctx.deps.clock.now().toISOString();
  let unavailable: UnitResult["unavailable"];
  /** Links to records merged away whose move was parked for a person: dropped with the unit's other links. */
  const parkedMoves: Link[] = [];
  const at: ItemContext = { known: decisions, configId: ctx.configId, compiled: ctx.compiled, urls: ctx.deps.settings.recordUrls ?? {} };

  for (const task of tasks) {
    if (task.kind === "skip") {
      tracker.count(task.item.side, "skipped");
    } else if (task.kind === "ambiguous" || task.kind === "confirmMatch") {
      tracker.count(task.item.side, "skipped");
      const { record, found } = task.kind === "ambiguous" ? ambiguousConflict(at, task, now) : confirmMatchItem(at, task, now);
      if (found) tracker.conflictsFound(1);
      conflicts.push(record);
      if (task.kind === "ambiguous" && task.moved) {
        parkedMoves.push(task.moved.from);
        tracker.note(
          `portal record ${task.moved.from.portalId} was merged into ${task.moved.survivorId}, which is inactive or has a partner: meander record ${task.moved.from.meanderId} unlinked and parked for review, nothing written`,
        );
      }
    } else {
      try {
        const plan = planPairHashed(
          ctx.compiled,
          {
            link: task.link,
            meander: task.meander,
            portal: task.portal,
            resolutions: task.resolutions,
            ...(task.forceCreate ? { forceCreate: true } : {}),
            ...(task.returning ? { returning: task.returning } : {}),
          },
          { lookups, now },
          ctx.deps.baselineFingerprint,
        );
        planned.push({ task, plan });
      } catch (error) {
        tracker.count(task.item.side, "failed");
        const info = toErrorInfo(error);
        const waitingFor =
          info.code === LOOKUP_UNRESOLVED && task.meander.state === "present" ? unresolvedTargets(ctx.compiled, task.meander.record.data, lookups) : [];
        unavailable ??= failPair(ctx, task, task.item.side, info, false, waitingFor);
      }
    }
  }
  if (ctx.dryRun) {
    tracker.dryRunPlans(planned.map((p) => p.plan));
    for (const task of tasks) {
      if (task.kind === "ambiguous" && task.item.view.state === "present")
        tracker.dryRunPlans([ambiguousPlan(task.item.side, task.item.view.record, task.candidates)]);
      if (task.kind === "confirmMatch" && task.item.view.state === "present")
        tracker.dryRunPlans([confirmMatchPlan(task.item.side, task.item.view.record, task.candidate.id, task.by)]);
    }
    // A dry run writes nothing, so nothing can be unavailable to it.
    return { written: 0 };
  }

  await ctx.deletes.check(planned.map((p) => p.plan));
  await ctx.lease.ensureLease();
  for (const [p, released] of await releaseKeys(ctx, planned)) {
    if (released.ok) continue;
    planned.splice(planned.indexOf(p), 1);
    tracker.count("portal", "failed");
    unavailable ??= failPair(ctx, p.task, "portal", released.error);
  }
  const outcomes = await writeAll(ctx, planned);
  const resultsOf = (i: number, plan: PairPlan) => plan.actions.map((_, j) => outcomes.get(`${i}.${j}`)!);
  await pause(ctx, "after-writes");
  const backs = planned.flatMap(({ task, plan }, i) => linkBackOf(ctx, i, task, plan, resultsOf(i, plan)) ?? []);
  const backOutcomes = await writeLinkBacks(ctx, backs);
  if (backs.length > 0) await pause(ctx, "after-link-back");
  const written = [...outcomes.values(), ...backOutcomes.values()].filter((o) => o.ok).length;

  const outages = outageSides(planned, outcomes);
  const putLinks: Link[] = [];
  /** Pairs that had no link: their rows are created, not upserted (one lookup less per row on the Table service). */
  const fresh = new Set<Link>();
  const dropLinks: Pick<Link, "meanderId" | "portalId">[] = [...parkedMoves];
  const recovered: { side: Side; recordId: string }[] = [];
  for (const [i, { task, plan }] of planned.entries()) {
    const results = resultsOf(i, plan);
    const failed = results.find((r) => !r.ok);
    countActions(ctx, task, plan, results);
    claimCreated(ctx, task, plan, results);
    if (failed && !failed.ok) {
      const side = plan.actions[results.indexOf(failed)]?.side ?? "portal";
      unavailable ??= failPair(ctx, task, side, failed.error, outages.has(side));
      continue;
    }
    const back = backs.find((b) => b.pair === i);
    const backOutcome = backOutcomes.get(i);
    if (back && backOutcome) {
      tracker.count(back.side, backOutcome.ok ? "updated" : "failed");
      if (!backOutcome.ok) {
        unavailable ??= failPair(ctx, task, back.side, backOutcome.error);
        continue;
      }
    }
    if (ctx.ledger.recover(task.item.side, task.item.id)) {
      recovered.push({ side: task.item.side, recordId: task.item.id });
      tracker.ledgerRecovered(1);
    }
    const next = withVersion(nextLinkOf(task, plan, results), back?.side, backOutcome);
    if (next === null && task.link) dropLinks.push(task.link);
    else if (next) {
      putLinks.push(next);
      if (!task.link) fresh.add(next);
    }
    tracker.oscillationsParked(newlyParkedLoops(task.link, plan));
    const update = reviewItemsOf(at, task, plan, now);
    tracker.conflictsFound(update.found);
    conflicts.push(...update.records);
    if (task.moved && next) {
      dropLinks.push(task.moved.from);
      tracker.note(
        `portal record ${task.moved.from.portalId} was merged into ${task.moved.survivorId}: meander record ${task.moved.from.meanderId} moved to it`,
      );
    } else if (task.release && next) {
      tracker.note(`portal record ${task.release.id} (merged away) gave up its link field: meander record ${next.meanderId} coupled with ${next.portalId}`);
    }
    if (plan.followMerge) tracker.note(`portal record ${plan.portalId ?? ""} was merged into ${plan.followMerge.masterId}: unlinked, neither written`);
  }

  // The run goes on with the unit's links and review items from here; saving them follows (saving.ts).
  // Records that got a (new) partner: lookups of other configs that waited for them may resolve once the links are saved.
  const byMeander = new Map(planned.flatMap(({ task }) => (task.link ? [[task.link.meanderId, task.link.portalId] as const] : [])));
  const coupled = putLinks.some((l) => byMeander.get(l.meanderId) !== l.portalId);
  for (const link of putLinks) ctx.links.remember(link);
  for (const link of dropLinks) ctx.links.forget(link);
  decisions.remember(conflicts);
  const state = ctx.deps.state;
  const save = async () => {
    if (putLinks.length > 0) {
      await state.putLinks(ctx.configId, putLinks, { fresh });
      ctx.links.shed(putLinks);
    }
    if (coupled) ctx.lease.noteCoupled();
    if (dropLinks.length > 0) await state.deleteLinks(ctx.configId, dropLinks);
    await pause(ctx, "after-links");
    await ctx.ledger.save(recovered);
    if (conflicts.length > 0) await state.putConflicts(ctx.configId, conflicts);
  };
  return { written, save, ...(unavailable ? { unavailable } : {}) };
}

/**
 * Lookup fields (e.g. an activity's likeperson) resolve through another config's links. What a
 * run has looked up it keeps for the run (ctx.lookupLinks): a first run's units name the same few
 * hundred likepersons again and again. A link that config makes meanwhile is seen by the next
 * run; a record waiting for it is retried then (waiting.ts).
 */
async function resolveLookups(ctx: RunContext, tasks: readonly PairTask[]): Promise<Map<string, string>> {
  const lookups = new Map<string, string>();
  for (const field of ctx.compiled.config.fields) {
    if (!field.lookup) continue;
    const config = field.lookup.config;
    const ids = new Set<string>();
    for (const task of tasks) {
      if (task.kind !== "pair" || task.meander.state !== "present") continue;
      const value = getPath(task.meander.record.data, field.meander);
      if (typeof value === "string" && value) ids.add(value);
    }
    const known = ctx.lookupLinks;
    const unknown = [...ids].filter((id) => !known.has(`${config}:${id}`));
    if (unknown.length > 0) {
      const links = await ctx.deps.state.getLinks(
        config,
        unknown.map((id) => ({ side: "meander" as const, id })),
      );
      for (const id of unknown) known.set(`${config}:${id}`, null);
      for (const link of links) known.set(`${config}:${link.meanderId}`, link.portalId);
    }
    for (const id of ids) {
      const portalId = known.get(`${config}:${id}`);
      if (portalId) lookups.set(id, portalId);
    }
  }
  return lookups;
}

function countActions(ctx: RunContext, task: PairOf, plan: PairPlan, results: readonly WriteOutcome[]): void {
  const { tracker } = ctx;
  plan.actions.forEach((action, j) => {
    if (!results[j]?.ok) {
      tracker.count(action.side, "failed");
      return;
    }
    tracker.count(action.side, action.kind === "create" ? "created" : action.kind === "update" ? "updated" : "deleted");
    if ((plan.outcome === "retire" || plan.outcome === "deactivate") && action.kind === "update") {
      tracker.count(action.side, plan.outcome === "retire" ? "retired" : "deactivated");
      tracker.note(`${action.side} record ${action.id} ${plan.outcome === "retire" ? "retired" : "deactivated"}: its partner was deleted (not deleted itself)`);
    }
    if (plan.reasserted?.[action.side]?.length) tracker.count(action.side, "reasserted");
  });
  if (plan.actions.length === 0) tracker.count(task.item.side, plan.outcome === "skip" ? "skipped" : "unchanged");
  tracker.autoResolved(plan.resolved.length);
  if (task.conflictId && plan.actions.every((_, j) => results[j]?.ok)) {
    tracker.conflictResolved();
    ctx.decisions.settle(task.item, task.link);
  }
}

/** Fields the plan parks as oscillating that were not parked so before. */
function newlyParkedLoops(link: Link | undefined, plan: PairPlan): number {
  if (!plan.nextLink) return 0;
  const before = new Set(parkedLoopFields(link?.loops));
  return parkedLoopFields(plan.nextLink.loops).filter((f) => !before.has(f)).length;
}

/** A created record is this run's partner of its source: when it comes back unlinked (a failed link-back), it couples to it again. */
function claimCreated(ctx: RunContext, task: PairOf, plan: PairPlan, results: readonly WriteOutcome[]): void {
  plan.actions.forEach((action, j) => {
    const result = results[j];
    if (action.kind === "create" && result?.ok) ctx.claims.couple(task.item, { side: action.side, id: result.id });
  });
}

/** The link keeps the version the link-back answered, so the write is recognised as the run's own when it comes back. */
function withVersion(link: Link | null | undefined, side: Side | undefined, outcome: WriteOutcome | undefined): Link | null | undefined {
  if (!link || !side || !outcome?.ok || !outcome.version) return link;
  return { ...link, [side === "meander" ? "meanderVersion" : "portalVersion"]: outcome.version };
}

/**
 * A pair that could not be applied: into the ledger, retried next run, visible in the run
 * record. Returns the side when it did not answer (transient): the run stops after the unit.
 */
function failPair(
  ctx: RunContext,
  task: PairOf,
  side: Side,
  error: SyncErrorInfo,
  outage = false,
  waitingFor: readonly LookupTarget[] = [],
): UnitResult["unavailable"] {
  // The run record names the changed record (its side and id); a failed write to the other side says so.
  const message = side === task.item.side ? error.message : `writing to ${side}: ${error.message}`;
  ctx.tracker.recordFailure(task.item.side, task.item.id, { ...error, message });
  const now = ctx.deps.clock.now().toISOString();
  // The system did not answer: its cursor stays before the change, so the next run meets it
  // again, unless it is this record, again and again (the ledger tells).
  if (error.kind === "transient") return ctx.ledger.failTransient(task.item.side, task.item.id, error, now, outage) ? { side, code: error.code } : undefined;
  ctx.ledger.fail(task.item.side, task.item.id, error, now, waitingFor);
  return undefined;
}

/**
 * Sides on which every write of this unit failed with a transient error (at least two of
 * them): that side is down, not one record. A single failing write among successes is not.
 */
function outageSides(planned: readonly Planned[], outcomes: ReadonlyMap<string, WriteOutcome>): Set<Side> {
  const tally: Record<Side, { ok: number; transient: number }> = { meander: { ok: 0, transient: 0 }, portal: { ok: 0, transient: 0 } };
  planned.forEach(({ plan }, i) => {
    plan.actions.forEach((action, j) => {
      const outcome = outcomes.get(`${i}.${j}`);
      if (outcome?.ok) tally[action.side].ok += 1;
      else if (outcome && outcome.error.kind === "transient") tally[action.side].transient += 1;
    });
  });
  return new Set((["meander", "portal"] as const).filter((s) => tally[s].ok === 0 && tally[s].transient >= 2));
}
