/**
 * The link-back write: after a create on one side, the source record gets the new id in its
 * link field (Meander `portalContactId`, portal `hlf_meanderid`), so that both records of every
 * pair name each other, created pairs included (coupled pairs get theirs from the planner).
 *
 * Crash-safe like every other write: the pair's link is saved only after the link-back
 * answered. A run that dies before, or a link-back refused because the source was edited
 * since it was read (412), leaves the source unlinked in the feed or the ledger; the next run
 * couples it to the created record (whose link field names the source) and the planner writes
 * the field then, merging the concurrent edit as any other change.
 */
import { writesTo } from "../core/compile.js";
import { sameId } from "../core/matching.js";
import { getPath, setPath } from "../core/paths.js";
import type { PairPlan, Side } from "../core/types.js";
import { otherSide } from "../core/types.js";
import type { WriteOp, WriteOutcome } from "../ports.js";
import { type RunContext, sideOf } from "./context.js";
import type { PairOf } from "./unit.js";

export interface LinkBack {
  /** The pair's index in the unit. */
  readonly pair: number;
  readonly side: Side;
  readonly op: Extract<WriteOp, { op: "update" }>;
}

/** The link-back a pair needs after its writes, if any: only when its create succeeded. */
export function linkBackOf(ctx: RunContext, pair: number, task: PairOf, plan: PairPlan, results: readonly WriteOutcome[]): LinkBack | undefined {
  const j = plan.actions.findIndex((a) => a.kind === "create");
  const create = plan.actions[j];
  const created = results[j];
  if (!create || !created?.ok) return undefined;
  const { config } = ctx.compiled;
  const side = otherSide(create.side);
  const field = config[side].linkField;
  const view = side === "meander" ? task.meander : task.portal;
  if (!field || !writesTo(config.direction, side) || view.state !== "present") return undefined;
  const record = view.record;
  if (sameId(getPath(record.data, field), created.id)) return undefined;
  // The version to write against: the pair's own earlier write to the source if it made one, else as read.
  const earlier = plan.actions.findIndex((a) => a.side === side && a.kind === "update");
  const written = earlier >= 0 ? results[earlier] : undefined;
  const ifMatch = (written?.ok ? written.version : undefined) ?? record.version;
  const data: Record<string, unknown> = {};
  setPath(data, field, created.id);
  return { pair, side, op: { op: "update", ref: `${pair}.back`, id: record.id, data, ...(ifMatch ? { ifMatch } : {}) } };
}

/** Link-backs of a unit, batched per side like the unit's other writes; outcomes by pair index. */
export async function writeLinkBacks(ctx: RunContext, backs: readonly LinkBack[]): Promise<Map<number, WriteOutcome>> {
  const outcomes = new Map<number, WriteOutcome>();
  if (backs.length === 0) return outcomes;
  const sides = (["portal", "meander"] as const).filter((s) => backs.some((b) => b.side === s));
  const results = await Promise.all(
    sides.map((s) => {
      const { port, entity } = sideOf(ctx, s);
      return port.write(
        entity,
        backs.filter((b) => b.side === s).map((b) => b.op),
      );
    }),
  );
  const byRef = new Map(backs.map((b) => [b.op.ref, b]));
  for (const list of results) {
    for (const outcome of list) {
      const back = byRef.get(outcome.ref)!;
      outcomes.set(back.pair, outcome);
      if (outcome.ok) ctx.links.wrote(back.side, outcome.id, outcome.version);
    }
  }
  return outcomes;
}
