/** Pure helpers around finished PairPlans: the ambiguous-match plan, the mass-delete guard, the dry-run summary. */
import type { CompiledConfig } from "./compile.js";
import type { DryRunPlan, PairPlan, Side, SideRecord } from "./types.js";

/** Several candidates: parked as an "ambiguous match", nothing created or written. */
export function ambiguousPlan(fromSide: Side, record: SideRecord, candidates: readonly string[]): PairPlan & { readonly candidates: readonly string[] } {
  const ids: Partial<Record<Side, string>> = { [fromSide]: record.id };
  return {
    key: ids.meander !== undefined ? `m:${ids.meander}` : `p:${ids.portal}`,
    ...(ids.meander !== undefined ? { meanderId: ids.meander } : {}),
    ...(ids.portal !== undefined ? { portalId: ids.portal } : {}),
    outcome: "ambiguous",
    actions: [],
    parked: [],
    resolved: [],
    changedFields: {},
    nextLink: undefined,
    candidates: [...candidates],
  };
}

/** One candidate by a key that may not couple on its own (an e-mail): parked for a person to confirm. */
export function confirmMatchPlan(fromSide: Side, record: SideRecord, candidateId: string, by: string): PairPlan {
  return { ...ambiguousPlan(fromSide, record, []), outcome: "confirmMatch", candidate: { id: candidateId, by } };
}

export interface MassDeleteVerdict {
  readonly blocked: boolean;
  readonly deletes: number;
  /** The most deletes allowed in one run: the smaller of maxDeletes and maxPercent of the linked records. */
  readonly limit: number;
}

export function massDeleteGuard(plans: readonly PairPlan[], compiled: CompiledConfig, linkedCount: number): MassDeleteVerdict {
  const { maxDeletes, maxPercent } = compiled.config.massDeleteGuard;
  // Retiring or deactivating is not destructive, but a mass of them is the same alarm (a wiped source).
  const deletes = plans.reduce(
    (n, p) => n + (p.outcome === "retire" || p.outcome === "deactivate" ? 1 : p.actions.filter((a) => a.kind === "delete").length),
    0,
  );
  const byPercent = (Math.max(0, linkedCount) * maxPercent) / 100;
  return { blocked: deletes > maxDeletes || deletes > byPercent, deletes, limit: Math.min(maxDeletes, Math.floor(byPercent)) };
}

export function summarizePlans(plans: readonly PairPlan[], guard?: Pick<MassDeleteVerdict, "blocked">): DryRunPlan {
  const summary: DryRunPlan = { creates: [], updates: [], deletes: [], conflicts: [], massDeleteBlocked: guard?.blocked ?? false };
  for (const plan of plans) {
    for (const action of plan.actions) {
      if (action.kind === "create") {
        const sourceId = action.side === "portal" ? plan.meanderId : plan.portalId;
        summary.creates.push({ side: action.side, sourceId: sourceId ?? "" });
      } else if (action.kind === "update") {
        summary.updates.push({ side: action.side, id: action.id, fields: [...(plan.changedFields[action.side] ?? Object.keys(action.fields))] });
      } else summary.deletes.push({ side: action.side, id: action.id });
    }
    const ids = { ...(plan.meanderId ? { meanderId: plan.meanderId } : {}), ...(plan.portalId ? { portalId: plan.portalId } : {}) };
    if (plan.outcome === "ambiguous" || plan.outcome === "unmatched" || plan.outcome === "confirmMatch")
      summary.conflicts.push({ ...ids, fields: [], kind: plan.outcome });
    else if (plan.parked.length) summary.conflicts.push({ ...ids, fields: plan.parked.map((c) => c.field), kind: "field" });
    if (plan.oscillating?.length) summary.conflicts.push({ ...ids, fields: plan.oscillating.map((c) => c.field), kind: "oscillation" });
  }
  return summary;
}
