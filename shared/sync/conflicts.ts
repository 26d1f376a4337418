/**
 * Conflicts a unit found or settled, as the records the conflicts table keeps: a re-detected
 * conflict keeps its id and detection time, a decided one is marked applied once written, and
 * one whose sides came to agree at the source is closed. Builders only: `found` says how many
 * of the records are newly found conflicts, for the caller to count.
 */
import { conflictIdFor } from "../core/ids.js";
import type { PairPlan, Side } from "../core/types.js";
import type { ConflictRecord } from "../ports.js";
import type { Decisions } from "./decisions.js";
import type { PairOf } from "./unit.js";

export interface ConflictUpdate {
  readonly records: ConflictRecord[];
  readonly found: number;
}

export function ambiguousConflict(
  known: Decisions,
  configId: string,
  side: Side,
  id: string,
  candidates: readonly string[],
  now: string,
): { record: ConflictRecord; found: boolean } {
  const meanderId = side === "meander" ? id : undefined;
  const portalId = side === "portal" ? id : undefined;
  const conflictId = conflictIdFor("ambiguous", meanderId, portalId);
  const existing = known.get(conflictId);
  const record: ConflictRecord = {
    conflictId,
    configId,
    kind: "ambiguous",
    ...(meanderId ? { meanderId } : {}),
    ...(portalId ? { portalId } : {}),
    fields: [],
    candidates: [...candidates].sort(),
    detectedAt: existing?.status === "open" ? existing.detectedAt : now,
    status: "open",
  };
  return { record, found: !existing || existing.status !== "open" };
}

export function conflictsOf(known: Decisions, configId: string, task: PairOf, plan: PairPlan, now: string): ConflictUpdate {
  const meanderId = plan.meanderId ?? task.link?.meanderId;
  const portalId = plan.portalId ?? task.link?.portalId;
  const conflictId = conflictIdFor("field", meanderId, portalId);
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
      kind: "field",
      ...(meanderId ? { meanderId } : {}),
      ...(portalId ? { portalId } : {}),
      fields,
      detectedAt: existing?.status === "open" ? existing.detectedAt : now,
      status: "open",
    });
    return { records, found: existing?.status !== "open" ? 1 : 0 };
  }
  if (settled?.resolution && !settled.resolution.appliedAt) records.push(markApplied(settled, now));
  // Parked fields the planner could not see both sides of this time stay parked.
  const stillParked = (plan.nextLink === undefined ? task.link?.parked : plan.nextLink?.parked) ?? [];
  if (existing?.status === "open" && existing.conflictId !== settled?.conflictId && stillParked.length === 0) {
    // The sides agree again (someone fixed it at the source): the conflict is over.
    records.push({ ...existing, status: "resolved", resolution: { choice: "value", values: {}, resolvedAt: now, resolvedBy: "sync", appliedAt: now } });
  }
  return { records, found: 0 };
}

function markApplied(conflict: ConflictRecord, now: string): ConflictRecord {
  return { ...conflict, resolution: { ...conflict.resolution!, appliedAt: now } };
}
