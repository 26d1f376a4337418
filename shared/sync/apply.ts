/**
 * Steps 4–7 for one unit of pairs: plan (pure), guard deletes, write both sides in
 * batches, then save links, ledger entries and conflicts. A pair whose writes did not
 * all succeed keeps its old baseline and goes to the retry ledger; the rest go on.
 */

import { planPairHashed } from "../core/hashedPlan.js";
import { getPath } from "../core/paths.js";
import { ambiguousPlan, massDeleteGuard } from "../core/planSummary.js";
import type { Action, Link, PairPlan, Side } from "../core/types.js";
import { FatalError, type SyncErrorInfo, toErrorInfo } from "../errors.js";
import type { ConflictRecord, LedgerEntry, WriteOp, WriteOutcome } from "../ports.js";
import { ambiguousConflict, conflictsOf } from "./conflicts.js";
import type { PairTask } from "./pairing.js";
import type { Run } from "./run.js";
import { ledgerKey, linkKey, StopRun } from "./run.js";

interface Planned {
  readonly task: Extract<PairTask, { kind: "pair" }>;
  readonly plan: PairPlan;
}

export async function applyUnit(run: Run, tasks: readonly PairTask[]): Promise<void> {
  const lookups = await resolveLookups(run, tasks);
  const planned: Planned[] = [];
  const conflicts: ConflictRecord[] = [];
  const now = run.deps.clock.now().toISOString();

  for (const task of tasks) {
    if (task.kind === "skip") {
      run.tracker.count(task.item.side, "skipped");
    } else if (task.kind === "ambiguous") {
      run.tracker.count(task.item.side, "skipped");
      conflicts.push(ambiguousConflict(run, task.item.side, task.item.id, task.candidates, now));
    } else {
      try {
        const plan = planPairHashed(
          run.compiled,
          { link: task.link, meander: task.meander, portal: task.portal, resolutions: task.resolutions },
          { lookups },
          run.deps.baselineFingerprint,
        );
        planned.push({ task, plan });
      } catch (error) {
        run.tracker.count(task.item.side, "failed");
        failPair(run, task, task.item.side, toErrorInfo(error));
      }
    }
  }
  if (run.dryRun) {
    for (const { plan } of planned) run.plans.push(plan);
    for (const task of tasks) {
      if (task.kind === "ambiguous" && task.item.view.state === "present")
        run.plans.push(ambiguousPlan(task.item.side, task.item.view.record, task.candidates));
    }
    return;
  }

  await guardDeletes(run, planned);
  await run.ensureLease();
  const outcomes = await writeAll(run, planned);
  for (const outcome of outcomes.values()) if (outcome.ok) run.writes += 1;
  await run.pause("after-writes");

  const putLinks: Link[] = [];
  const dropLinks: Pick<Link, "meanderId" | "portalId">[] = [];
  const recovered: { side: Side; recordId: string }[] = [];
  for (const [i, { task, plan }] of planned.entries()) {
    const results = plan.actions.map((_, j) => outcomes.get(`${i}.${j}`)!);
    const failed = results.find((r) => !r.ok);
    countActions(run, task, plan, results);
    if (failed && !failed.ok) {
      failPair(run, task, sideOfRef(plan, results.indexOf(failed)), failed.error);
      continue;
    }
    for (const key of [ledgerKey(task.item.side, task.item.id)]) {
      if (run.ledger.has(key)) {
        run.ledger.delete(key);
        recovered.push({ side: task.item.side, recordId: task.item.id });
        run.tracker.result.ledger.recovered += 1;
      }
    }
    const next = nextLinkOf(task, plan, results);
    if (next === null && task.link) dropLinks.push(task.link);
    else if (next) putLinks.push(next);
    conflicts.push(...conflictsOf(run, task, plan, now));
  }

  const state = run.deps.state;
  if (putLinks.length > 0) await state.putLinks(run.configId, putLinks);
  if (dropLinks.length > 0) await state.deleteLinks(run.configId, dropLinks);
  for (const link of putLinks) run.rememberLink(link);
  for (const link of dropLinks) run.forgetLink(link);
  await run.pause("after-links");
  if (recovered.length > 0) await state.deleteLedger(run.configId, recovered);
  const failedEntries = [...run.ledgerDirty].map((k) => run.ledger.get(k)).filter((e): e is LedgerEntry => Boolean(e));
  run.ledgerDirty.clear();
  if (failedEntries.length > 0) await state.putLedger(run.configId, failedEntries);
  if (conflicts.length > 0) await state.putConflicts(run.configId, conflicts);
  for (const conflict of conflicts) run.conflicts.set(conflict.conflictId, conflict);
  if (run.unavailable) {
    const { side, code } = run.unavailable;
    throw new StopRun(`${side} did not answer (${code}) after retries: the run stopped; the next run continues from here`);
  }
}

/** Lookup fields (e.g. an activity's likeperson) resolve through another config's links. */
async function resolveLookups(run: Run, tasks: readonly PairTask[]): Promise<Map<string, string>> {
  const lookups = new Map<string, string>();
  for (const field of run.compiled.config.fields) {
    if (!field.lookup) continue;
    const ids = new Set<string>();
    for (const task of tasks) {
      if (task.kind !== "pair" || task.meander.state !== "present") continue;
      const value = getPath(task.meander.record.data, field.meander);
      if (typeof value === "string" && value) ids.add(value);
    }
    if (ids.size === 0) continue;
    const links = await run.deps.state.getLinks(
      field.lookup.config,
      [...ids].map((id) => ({ side: "meander" as const, id })),
    );
    for (const link of links) lookups.set(link.meanderId, link.portalId);
  }
  return lookups;
}

/** Step 5: stop before a run deletes more than the config allows. */
async function guardDeletes(run: Run, planned: readonly Planned[]): Promise<void> {
  const withDeletes = planned.filter(({ plan }) => plan.actions.some((a) => a.kind === "delete")).map((p) => p.plan);
  if (withDeletes.length === 0) return;
  run.deletePlans.push(...withDeletes);
  run.linkedCount ??= await countLinks(run);
  const guard = massDeleteGuard(run.deletePlans, run.compiled, run.linkedCount);
  if (guard.blocked) {
    throw new FatalError(
      "MASS_DELETE_BLOCKED",
      `the run would delete ${guard.deletes} records, more than the limit of ${guard.limit}: nothing deleted; check the source, then raise massDeleteGuard or run again`,
    );
  }
}

async function countLinks(run: Run): Promise<number> {
  let n = 0;
  for await (const _ of run.deps.state.listLinks(run.configId)) n++;
  return n;
}

async function writeAll(run: Run, planned: readonly Planned[]): Promise<Map<string, WriteOutcome>> {
  const ops: Record<Side, WriteOp[]> = { meander: [], portal: [] };
  for (const [i, { task, plan }] of planned.entries()) {
    plan.actions.forEach((action, j) => {
      ops[action.side].push(writeOp(run, task, plan, action, `${i}.${j}`));
    });
  }
  const outcomes = new Map<string, WriteOutcome>();
  const sides = (["portal", "meander"] as const).filter((s) => ops[s].length > 0);
  const results = await Promise.all(sides.map((s) => run.side(s).write(run.entity(s), ops[s])));
  for (const list of results) for (const outcome of list) outcomes.set(outcome.ref, outcome);
  return outcomes;
}

function writeOp(run: Run, task: Planned["task"], plan: PairPlan, action: Action, ref: string): WriteOp {
  const { config } = run.compiled;
  if (action.kind === "create") {
    const sourceId = action.side === "portal" ? (plan.meanderId ?? task.item.id) : (plan.portalId ?? task.item.id);
    const keyField = action.side === "portal" ? config.portal.alternateKey : config.meander.linkField;
    return { op: "create", ref, data: action.fields, ...(keyField ? { upsertKey: { field: keyField, value: sourceId } } : {}) };
  }
  if (action.kind === "update") return { op: "update", ref, id: action.id, data: action.fields, ...(action.ifMatch ? { ifMatch: action.ifMatch } : {}) };
  return { op: "delete", ref, id: action.id, ...(action.ifMatch ? { ifMatch: action.ifMatch } : {}) };
}

function nextLinkOf(task: Planned["task"], plan: PairPlan, results: readonly WriteOutcome[]): Link | null | undefined {
  if (plan.nextLink === null) return null;
  if (plan.nextLink === undefined) return undefined;
  const ids: Partial<Record<Side, string>> = { meander: plan.meanderId, portal: plan.portalId };
  const versions: Partial<Record<Side, string>> = {};
  plan.actions.forEach((action, j) => {
    const result = results[j];
    if (!result?.ok) return;
    if (action.kind === "create") ids[action.side] = result.id;
    if (result.version) versions[action.side] = result.version;
  });
  const meanderId = ids.meander ?? task.link?.meanderId;
  const portalId = ids.portal ?? task.link?.portalId;
  if (!meanderId || !portalId) return undefined;
  const meanderVersion = versions.meander ?? plan.nextLink.meanderVersion;
  const portalVersion = versions.portal ?? plan.nextLink.portalVersion;
  return {
    meanderId,
    portalId,
    baseline: plan.nextLink.baseline,
    ...(plan.nextLink.parked?.length ? { parked: plan.nextLink.parked } : {}),
    ...(meanderVersion ? { meanderVersion } : {}),
    ...(portalVersion ? { portalVersion } : {}),
    ...(plan.nextLink.syncedAt ? { syncedAt: plan.nextLink.syncedAt } : {}),
  };
}

function countActions(run: Run, task: Planned["task"], plan: PairPlan, results: readonly WriteOutcome[]): void {
  const counts = run.tracker;
  plan.actions.forEach((action, j) => {
    if (!results[j]?.ok) {
      counts.count(action.side, "failed");
      return;
    }
    counts.count(action.side, action.kind === "create" ? "created" : action.kind === "update" ? "updated" : "deleted");
  });
  if (plan.actions.length === 0) counts.count(task.item.side, plan.outcome === "skip" ? "skipped" : "unchanged");
  run.tracker.result.conflicts.autoResolved += plan.resolved.length;
  if (task.conflictId && plan.actions.every((_, j) => results[j]?.ok)) {
    run.tracker.result.conflicts.resolved += 1;
    if (task.link) run.settleResolution(task.link.meanderId, task.link.portalId);
    else run.partnerChoices.delete(linkKey(task.item.side, task.item.id));
  }
}

function sideOfRef(plan: PairPlan, index: number): Side {
  return plan.actions[index]?.side ?? "portal";
}

/** A pair that could not be applied: into the ledger, retried next run, visible in the run record. */
function failPair(run: Run, task: Extract<PairTask, { kind: "pair" }>, side: Side, error: SyncErrorInfo): void {
  // The run record names the changed record (its side and id); a failed write to the other side says so.
  const message = side === task.item.side ? error.message : `writing to ${side}: ${error.message}`;
  run.tracker.recordFailure(task.item.side, task.item.id, { ...error, message });
  if (error.kind === "transient") {
    // The system did not answer: the run stops after this unit and its cursor stays
    // before the change, so the next run meets it again. No ledger attempt is spent.
    run.unavailable ??= { side, code: error.code };
    return;
  }
  const now = run.deps.clock.now().toISOString();
  const key = ledgerKey(task.item.side, task.item.id);
  const previous = run.ledger.get(key);
  run.ledger.set(key, {
    side: task.item.side,
    recordId: task.item.id,
    attempts: (previous?.attempts ?? 0) + 1,
    firstFailedAt: previous?.firstFailedAt ?? now,
    lastFailedAt: now,
    lastError: { kind: error.kind, code: error.code, message: error.message, ...(error.status ? { status: error.status } : {}) },
  });
  run.ledgerDirty.add(key);
}
