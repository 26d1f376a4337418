/**
 * Conflicts a unit found or settled, as the records the conflicts table keeps: a re-detected
 * conflict keeps its id and detection time, a decided one is marked applied once written, and
 * one whose sides came to agree at the source is closed.
 */
import { conflictIdFor } from "../core/ids.js";
import type { PairPlan, Side } from "../core/types.js";
import type { ConflictRecord } from "../ports.js";
import type { PairTask } from "./pairing.js";
import type { Run } from "./run.js";

export function ambiguousConflict(run: Run, side: Side, id: string, candidates: readonly string[], now: string): ConflictRecord {
  const meanderId = side === "meander" ? id : undefined;
  const portalId = side === "portal" ? id : undefined;
  const conflictId = conflictIdFor("ambiguous", meanderId, portalId);
  const existing = run.conflicts.get(conflictId);
  if (!existing || existing.status !== "open") run.tracker.result.conflicts.found += 1;
  return {
    conflictId,
    configId: run.configId,
    kind: "ambiguous",
    ...(meanderId ? { meanderId } : {}),
    ...(portalId ? { portalId } : {}),
    fields: [],
    candidates: [...candidates].sort(),
    detectedAt: existing?.status === "open" ? existing.detectedAt : now,
    status: "open",
  };
}

export function conflictsOf(run: Run, task: Extract<PairTask, { kind: "pair" }>, plan: PairPlan, now: string): ConflictRecord[] {
  const meanderId = plan.meanderId ?? task.link?.meanderId;
  const portalId = plan.portalId ?? task.link?.portalId;
  const conflictId = conflictIdFor("field", meanderId, portalId);
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
      kind: "field",
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

function markApplied(conflict: ConflictRecord, now: string): ConflictRecord {
  return { ...conflict, resolution: { ...conflict.resolution!, appliedAt: now } };
}
