/**
 * Conflicts a unit found or settled, as the records the conflicts table keeps: a re-detected
 * conflict keeps its id and detection time, a decided one is marked applied once written, and
 * one whose sides came to agree at the source is closed.
 */
import { conflictIdFor } from "../core/ids.js";
import { isMissing } from "../core/mapping.js";
import { getPath } from "../core/paths.js";
import { partyOf } from "../core/review.js";
import type { PairPlan, Side, SideRecord } from "../core/types.js";
import type { ConflictRecord, ReviewKind } from "../ports.js";
import type { PairTask, UnitItem } from "./pairing.js";
import type { Run } from "./run.js";

const subjectRecord = (item: UnitItem): SideRecord | undefined =>
  item.view.state === "present" || item.view.state === "outOfScope" ? item.view.record : undefined;

/** A review item about one unlinked record: ambiguous, unmatched or confirmMatch. Re-detecting it keeps its id and detection time. */
function recordItem(
  run: Run,
  kind: Extract<ReviewKind, "ambiguous" | "unmatched" | "confirmMatch">,
  item: UnitItem,
  candidates: readonly SideRecord[],
  candidateIds: readonly string[],
  by: string | undefined,
  now: string,
): ConflictRecord {
  const meanderId = item.side === "meander" ? item.id : undefined;
  const portalId = item.side === "portal" ? item.id : undefined;
  const conflictId = conflictIdFor(kind, meanderId, portalId);
  const existing = run.conflicts.get(conflictId);
  if (!existing || existing.status !== "open") run.tracker.result.conflicts.found += 1;
  const urls = run.deps.settings.recordUrls ?? {};
  const record = subjectRecord(item);
  const memberKey = run.compiled.config.matchKeys[0];
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const sorted = [...candidateIds].sort();
  return {
    conflictId,
    configId: run.configId,
    kind,
    ...(meanderId ? { meanderId } : {}),
    ...(portalId ? { portalId } : {}),
    fields: [],
    ...(kind !== "unmatched" ? { candidates: sorted } : {}),
    ...(by ? { matchKey: by } : {}),
    ...(record ? { subject: partyOf(run.compiled, item.side, record, urls) } : {}),
    ...(kind !== "unmatched"
      ? {
          candidateDetails: sorted.map((id) => {
            const c = byId.get(id);
            const side: Side = item.side === "meander" ? "portal" : "meander";
            return c ? partyOf(run.compiled, side, c, urls) : { side, id };
          }),
        }
      : {}),
    ...(kind === "unmatched" && record && memberKey
      ? { hasMemberNumber: !isMissing(getPathOf(record, item.side === "meander" ? memberKey.meander : memberKey.portal)) }
      : {}),
    detectedAt: existing?.status === "open" ? existing.detectedAt : now,
    status: "open",
  };
}

const getPathOf = (record: SideRecord, path: string): unknown => (record.data && path.includes(".") ? getPath(record.data, path) : record.data[path]);

export function ambiguousConflict(run: Run, task: Extract<PairTask, { kind: "ambiguous" }>, now: string): ConflictRecord {
  return recordItem(run, "ambiguous", task.item, task.candidateRecords ?? [], task.candidates, task.by, now);
}

export function confirmMatchItem(run: Run, item: UnitItem, candidate: SideRecord, by: string, now: string): ConflictRecord {
  return recordItem(run, "confirmMatch", item, [candidate], [candidate.id], by, now);
}

/**
 * A merged contact's likeperson is coupled with the surviving contact: recorded as a
 * confirmMatch the sync itself decided, so the next run applies it like a person's decision
 * (and the decision is on record).
 */
export function mergeFollowItem(run: Run, meanderId: string, masterId: string, now: string): ConflictRecord {
  return {
    conflictId: conflictIdFor("confirmMatch", meanderId, undefined),
    configId: run.configId,
    kind: "confirmMatch",
    meanderId,
    fields: [],
    candidates: [masterId],
    matchKey: "merged",
    detectedAt: now,
    status: "resolved",
    resolution: { choice: "value", values: { partner: masterId }, resolvedAt: now, resolvedBy: "sync" },
  };
}

export function unmatchedItem(run: Run, item: UnitItem, now: string): ConflictRecord {
  return recordItem(run, "unmatched", item, [], [], undefined, now);
}

export function conflictsOf(run: Run, task: Extract<PairTask, { kind: "pair" }>, plan: PairPlan, now: string): ConflictRecord[] {
  if (plan.outcome === "unmatched") return [unmatchedItem(run, task.item, now)];
  if (plan.outcome === "couple" || plan.outcome === "create") {
    // The record found its partner (or a person's decision was applied): its open record items are over.
    const ids = { meanderId: task.item.side === "meander" ? task.item.id : undefined, portalId: task.item.side === "portal" ? task.item.id : undefined };
    const over: ConflictRecord[] = [];
    for (const kind of ["unmatched", "confirmMatch"] as const) {
      const open = run.conflicts.get(conflictIdFor(kind, ids.meanderId, ids.portalId));
      if (open?.status === "open" && open.conflictId !== task.conflictId) over.push(closedBySync(open, now));
    }
    if (over.length) return [...over, ...conflictsOfPair(run, task, plan, now)];
  }
  return conflictsOfPair(run, task, plan, now);
}

function closedBySync(item: ConflictRecord, now: string): ConflictRecord {
  const { subject, candidateDetails: _details, hasMemberNumber: _member, ...rest } = item;
  return {
    ...rest,
    ...(subject ? { subject: { side: subject.side, id: subject.id, ...(subject.url ? { url: subject.url } : {}) } } : {}),
    status: "resolved",
    resolution: { choice: "value", values: {}, resolvedAt: now, resolvedBy: "sync", appliedAt: now },
  };
}

function conflictsOfPair(run: Run, task: Extract<PairTask, { kind: "pair" }>, plan: PairPlan, now: string): ConflictRecord[] {
  const meanderId = plan.meanderId ?? task.link?.meanderId;
  const portalId = plan.portalId ?? task.link?.portalId;
  const conflictId = conflictIdFor("fieldConflict", meanderId, portalId);
  const existing = run.conflicts.get(conflictId);
  const out: ConflictRecord[] = [];
  const settled = task.conflictId ? run.conflicts.get(task.conflictId) : undefined;
  if (plan.parked.length > 0) {
    // A re-detected conflict keeps the base it was first seen with (the planner no longer knows it).
    const earlier = new Map((existing?.status === "open" ? existing.fields : []).map((f) => [f.field, f.base]));
    const fields = plan.parked.map((c) => ({ field: c.field, base: c.base ?? earlier.get(c.field), meander: c.meander, portal: c.portal }));
    if (settled && settled.conflictId !== conflictId) out.push(markApplied(settled, now));
    if (existing?.status === "open" && JSON.stringify(existing.fields) === JSON.stringify(fields)) return out;
    if (existing?.status !== "open") run.tracker.result.conflicts.found += 1;
    out.push({
      conflictId,
      configId: run.configId,
      kind: "fieldConflict",
      ...(meanderId ? { meanderId } : {}),
      ...(portalId ? { portalId } : {}),
      fields,
      detectedAt: existing?.status === "open" ? existing.detectedAt : now,
      status: "open",
    });
    return out;
  }
  if (settled?.resolution && !settled.resolution.appliedAt) out.push(markApplied(settled, now));
  // Parked fields the planner could not see both sides of this time stay parked.
  const stillParked = (plan.nextLink === undefined ? task.link?.parked : plan.nextLink?.parked) ?? [];
  if (existing?.status === "open" && existing.conflictId !== settled?.conflictId && stillParked.length === 0) {
    // The sides agree again (someone fixed it at the source): the conflict is over.
    out.push({ ...existing, status: "resolved", resolution: { choice: "value", values: {}, resolvedAt: now, resolvedBy: "sync", appliedAt: now } });
  }
  return out;
}

/** Applied: the values a person needed are erased; ids, field names, the decision, who and when stay. */
function markApplied(conflict: ConflictRecord, now: string): ConflictRecord {
  const resolution = conflict.resolution!;
  const values = Object.fromEntries(Object.entries(resolution.values).map(([k, v]) => [k, k === "partner" ? v : null]));
  return { ...conflict, resolution: { ...resolution, values, appliedAt: now } };
}
