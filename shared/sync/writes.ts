/**
 * Step 6: the unit's actions as batched writes, both sides at once, and the link each pair
 * gets from what the writes answered (new ids, new versions).
 */
import type { Action, Link, PairPlan, Side } from "../core/types.js";
import type { WriteOp, WriteOutcome } from "../ports.js";
import { type RunContext, sideOf } from "./context.js";
import type { PairOf } from "./unit.js";

export interface Planned {
  readonly task: PairOf;
  readonly plan: PairPlan;
}

/** Outcomes by `<pair index>.<action index>`. */
export async function writeAll(ctx: RunContext, planned: readonly Planned[]): Promise<Map<string, WriteOutcome>> {
  const ops: Record<Side, WriteOp[]> = { meander: [], portal: [] };
  for (const [i, { task, plan }] of planned.entries()) {
    plan.actions.forEach((action, j) => {
      ops[action.side].push(writeOp(ctx, task, plan, action, `${i}.${j}`));
    });
  }
  const outcomes = new Map<string, WriteOutcome>();
  const sides = (["portal", "meander"] as const).filter((s) => ops[s].length > 0);
  const results = await Promise.all(
    sides.map((s) => {
      const { port, entity } = sideOf(ctx, s);
      return port.write(entity, ops[s]);
    }),
  );
  for (const list of results) for (const outcome of list) outcomes.set(outcome.ref, outcome);
  // What each write left, for the echo check (echo.ts), in this run and the next.
  for (const [i, { plan }] of planned.entries()) {
    plan.actions.forEach((action, j) => {
      const outcome = outcomes.get(`${i}.${j}`);
      if (!outcome?.ok) return;
      // The record's id as the run read it: the string its link holds too, not a second copy per record from the answer.
      const id = action.kind !== "create" && action.id === outcome.id ? action.id : outcome.id;
      if (action.kind === "delete") ctx.links.wroteDelete(action.side, id);
      else ctx.links.wrote(action.side, id, outcome.version);
    });
  }
  return outcomes;
}

function writeOp(ctx: RunContext, task: PairOf, plan: PairPlan, action: Action, ref: string): WriteOp {
  const { config } = ctx.compiled;
  if (action.kind === "create") {
    const sourceId = action.side === "portal" ? (plan.meanderId ?? task.item.id) : (plan.portalId ?? task.item.id);
    const keyField = action.side === "portal" ? config.portal.alternateKey : config.meander.linkField;
    return { op: "create", ref, data: action.fields, ...(keyField ? { upsertKey: { field: keyField, value: sourceId } } : {}) };
  }
  if (action.kind === "update") return { op: "update", ref, id: action.id, data: action.fields, ...(action.ifMatch ? { ifMatch: action.ifMatch } : {}) };
  return { op: "delete", ref, id: action.id, ...(action.ifMatch ? { ifMatch: action.ifMatch } : {}) };
}

/** The pair's link after its writes: null to drop it, undefined to leave it as it is. */
export function nextLinkOf(task: PairOf, plan: PairPlan, results: readonly WriteOutcome[]): Link | null | undefined {
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
    ...(plan.nextLink.loops && Object.keys(plan.nextLink.loops).length ? { loops: plan.nextLink.loops } : {}),
    ...(meanderVersion ? { meanderVersion } : {}),
    ...(portalVersion ? { portalVersion } : {}),
    ...(plan.nextLink.syncedAt ? { syncedAt: plan.nextLink.syncedAt } : {}),
  };
}
