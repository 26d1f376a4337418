/**
 * Conflicts a unit found or settled, as the records the conflicts table keeps: a re-detected
 * conflict keeps its id and detection time, a decided one is marked applied once written, and
 * one whose sides came to agree at the source is closed. Builders only: `found` says how many
 * of the records are newly found conflicts, for the caller to count.
 */
import type { CompiledConfig } from "../core/compile.js";
import { conflictIdFor } from "../core/ids.js";
import { isMissing } from "../core/mapping.js";
import { parkedLoopFields } from "../core/oscillation.js";
import { getPath } from "../core/paths.js";
import { partyOf, type RecordUrls } from "../core/review.js";
import type { PairPlan, Side, SideRecord } from "../core/types.js";
import type { ConflictRecord, ReviewKind } from "../ports.js";
import type { Decisions } from "./decisions.js";
import type { PairOf, PairTask, UnitItem } from "./unit.js";

export interface ConflictUpdate {
  readonly records: ConflictRecord[];
  readonly found: number;
}

/** Where review items link records in their own systems, and which values they show. */
export interface ItemContext {
  readonly known: Decisions;
  readonly configId: string;
  readonly compiled: CompiledConfig;
  readonly urls: RecordUrls;
}

const subjectRecord = (item: UnitItem): SideRecord | undefined =>
  item.view.state === "present" || item.view.state === "outOfScope" ? item.view.record : undefined;

/** A review item about one unlinked record: ambiguous, unmatched or confirmMatch. Re-detecting it keeps its id and detection time. */
function recordItem(
  at: ItemContext,
  kind: Extract<ReviewKind, "ambiguous" | "unmatched" | "confirmMatch">,
  item: UnitItem,
  candidates: readonly SideRecord[],
  candidateIds: readonly string[],
  by: string | undefined,
  now: string,
): { record: ConflictRecord; found: boolean } {
  const meanderId = item.side === "meander" ? item.id : undefined;
  const portalId = item.side === "portal" ? item.id : undefined;
  const conflictId = conflictIdFor(kind, meanderId, portalId);
  const existing = at.known.get(conflictId);
  const record = subjectRecord(item);
  const memberKey = at.compiled.config.matchKeys[0];
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const sorted = [...candidateIds].sort();
  const other: Side = item.side === "meander" ? "portal" : "meander";
  const value: ConflictRecord = {
    conflictId,
    configId: at.configId,
    kind,
    ...(meanderId ? { meanderId } : {}),
    ...(portalId ? { portalId } : {}),
    fields: [],
    ...(kind !== "unmatched" ? { candidates: sorted } : {}),
    ...(by ? { matchKey: by } : {}),
    ...(record ? { subject: partyOf(at.compiled, item.side, record, at.urls) } : {}),
    ...(kind !== "unmatched"
      ? {
          candidateDetails: sorted.map((id) => {
            const c = byId.get(id);
            return c ? partyOf(at.compiled, other, c, at.urls) : { side: other, id };
          }),
        }
      : {}),
    ...(kind === "unmatched" && record && memberKey
      ? { hasMemberNumber: !isMissing(getPath(record.data, item.side === "meander" ? memberKey.meander : memberKey.portal)) }
      : {}),
    detectedAt: existing?.status === "open" ? existing.detectedAt : now,
    status: "open",
  };
  return { record: value, found: !existing || existing.status !== "open" };
}

export function ambiguousConflict(at: ItemContext, task: Extract<PairTask, { kind: "ambiguous" }>, now: string): { record: ConflictRecord; found: boolean } {
  return recordItem(at, "ambiguous", task.item, task.candidateRecords ?? [], task.candidates, task.by, now);
}

export function confirmMatchItem(at: ItemContext, task: Extract<PairTask, { kind: "confirmMatch" }>, now: string): { record: ConflictRecord; found: boolean } {
  return recordItem(at, "confirmMatch", task.item, [task.candidate], [task.candidate.id], task.by, now);
}

/** Review items a planned pair found or settled. */
export function reviewItemsOf(at: ItemContext, task: PairOf, plan: PairPlan, now: string): ConflictUpdate {
  if (plan.outcome === "unmatched") {
    const { record, found } = recordItem(at, "unmatched", task.item, [], [], undefined, now);
    return { records: [record], found: found ? 1 : 0 };
  }
  const fieldUpdate = conflictsOf(at.known, at.configId, task, plan, now);
  const loops = oscillationsOf(at.known, at.configId, task, plan, now);
  const update = { records: [...fieldUpdate.records, ...loops.records], found: fieldUpdate.found + loops.found };
  if (plan.outcome !== "couple" && plan.outcome !== "create") return update;
  // The record found its partner (or a person's decision was applied): its open record items are over.
  const ids = { meanderId: task.item.side === "meander" ? task.item.id : undefined, portalId: task.item.side === "portal" ? task.item.id : undefined };
  const over: ConflictRecord[] = [];
  for (const kind of ["unmatched", "confirmMatch"] as const) {
    const open = at.known.get(conflictIdFor(kind, ids.meanderId, ids.portalId));
    if (open?.status === "open" && open.conflictId !== task.conflictId) over.push(closedBySync(open, now));
  }
  return { records: [...over, ...update.records], found: update.found };
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

export function conflictsOf(known: Decisions, configId: string, task: PairOf, plan: PairPlan, now: string): ConflictUpdate {
  const meanderId = plan.meanderId ?? task.link?.meanderId;
  const portalId = plan.portalId ?? task.link?.portalId;
  const conflictId = conflictIdFor("fieldConflict", meanderId, portalId);
  const existing = known.get(conflictId);
  const records: ConflictRecord[] = [];
  const settled = task.conflictId ? known.get(task.conflictId) : undefined;
  if (plan.parked.length > 0) {
    // A re-detected conflict keeps the base it was first seen with (the planner no longer knows it).
    const earlier = new Map((existing?.status === "open" ? existing.fields : []).map((f) => [f.field, f.base]));
    const fields = plan.parked.map((c) => ({ field: c.field, base: c.base ?? earlier.get(c.field), meander: c.meander, portal: c.portal }));
    if (settled && settled.conflictId !== conflictId) records.push(markApplied(settled, now));
    if (existing?.status === "open" && JSON.stringify(existing.fields) === JSON.stringify(fields)) return { records, found: 0 };
    records.push({
      conflictId,
      configId,
      kind: "fieldConflict",
      ...(meanderId ? { meanderId } : {}),
      ...(portalId ? { portalId } : {}),
      fields,
      detectedAt: existing?.status === "open" ? existing.detectedAt : now,
      status: "open",
    });
    return { records, found: existing?.status !== "open" ? 1 : 0 };
  }
  if (settled?.resolution && !settled.resolution.appliedAt) records.push(markApplied(settled, now));
  // Parked fields the planner could not see both sides of this time stay parked (those the loop guard holds have their own item).
  const next = plan.nextLink === undefined ? task.link : plan.nextLink;
  const looping = new Set(parkedLoopFields(next?.loops));
  const stillParked = (next?.parked ?? []).filter((f) => !looping.has(f));
  if (existing?.status === "open" && existing.conflictId !== settled?.conflictId && stillParked.length === 0) {
    // The sides agree again (someone fixed it at the source): the conflict is over.
    records.push({ ...existing, status: "resolved", resolution: { choice: "value", values: {}, resolvedAt: now, resolvedBy: "sync", appliedAt: now } });
  }
  return { records, found: 0 };
}

/**
 * The pair's `oscillation` item: opened when the loop guard parks a field (with both sides'
 * values while it is open), refreshed when those values change, closed when the guard lets
 * go of every field without a person (the sides came to agree). A decided one is marked
 * applied by conflictsOf, which settles the pair's decision whatever its kind.
 */
function oscillationsOf(known: Decisions, configId: string, task: PairOf, plan: PairPlan, now: string): ConflictUpdate {
  const meanderId = plan.meanderId ?? task.link?.meanderId;
  const portalId = plan.portalId ?? task.link?.portalId;
  if (!meanderId || !portalId) return { records: [], found: 0 };
  const conflictId = conflictIdFor("oscillation", meanderId, portalId);
  const existing = known.get(conflictId);
  const open = existing?.status === "open";
  if (plan.oscillating?.length) {
    const fields = plan.oscillating.map((c) => ({ field: c.field, base: undefined, meander: c.meander, portal: c.portal }));
    if (open && JSON.stringify(existing.fields) === JSON.stringify(fields)) return { records: [], found: 0 };
    const record: ConflictRecord = {
      conflictId,
      configId,
      kind: "oscillation",
      meanderId,
      portalId,
      fields,
      detectedAt: open ? existing.detectedAt : now,
      status: "open",
    };
    return { records: [record], found: open ? 0 : 1 };
  }
  const next = plan.nextLink === undefined ? task.link : plan.nextLink;
  if (!open || task.conflictId === conflictId || (next && parkedLoopFields(next.loops).length > 0)) return { records: [], found: 0 };
  const fields = existing.fields.map((f) => ({ field: f.field, base: undefined, meander: null, portal: null }));
  return {
    records: [{ ...existing, fields, status: "resolved", resolution: { choice: "value", values: {}, resolvedAt: now, resolvedBy: "sync", appliedAt: now } }],
    found: 0,
  };
}

/** Applied: the values a person needed are erased; ids, field names, the decision, who and when stay. */
function markApplied(conflict: ConflictRecord, now: string): ConflictRecord {
  const resolution = conflict.resolution!;
  const values = Object.fromEntries(Object.entries(resolution.values).map(([k, v]) => [k, k === "partner" ? v : null]));
  return { ...conflict, resolution: { ...resolution, values, appliedAt: now } };
}
