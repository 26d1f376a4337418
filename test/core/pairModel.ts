/**
 * An in-memory model of one pair in both systems for the fingerprinted-baseline properties: it applies a plan's actions
 * the way the run engine does (writes, new versions, the link stored from nextLink, the
 * link-back write after a create) and builds the next run's views.
 */

import { type CompiledConfig, writesTo } from "../../shared/core/compile.js";
import { linkFieldOf } from "../../shared/core/matching.js";
import { setPath } from "../../shared/core/paths.js";
import type { PairInput } from "../../shared/core/planTypes.js";
import { type Action, type Link, otherSide, type PairPlan, type Side, type SideRecord, type SideView } from "../../shared/core/types.js";

export interface World {
  meander: SideRecord | undefined;
  portal: SideRecord | undefined;
  link: Link | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function merge(into: Readonly<Record<string, unknown>>, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...into };
  for (const [k, v] of Object.entries(fields)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

const nextVersion = (side: Side, counter: { n: number }) => {
  counter.n += 1;
  return side === "meander" ? `v${counter.n}` : `W/"${counter.n}"`;
};

const WRITTEN_AT = "2030-01-01T00:00:00Z";

/** Applies the plan; returns the sides that were written. */
export function apply(compiled: CompiledConfig, world: World, plan: PairPlan): Set<Side> {
  const written = new Set<Side>();
  const counter = { n: 1000 };
  const versions: Partial<Record<Side, string>> = {};
  let createdId: string | undefined;
  const run = (action: Action) => {
    const side = action.side;
    written.add(side);
    const current = world[side];
    if (action.kind === "delete") {
      world[side] = undefined;
      return;
    }
    const version = nextVersion(side, counter);
    versions[side] = version;
    if (action.kind === "create") {
      createdId = `${side === "meander" ? "m" : "p"}-new`;
      const idField = side === "portal" ? { [compiled.config.portal.idField]: createdId } : { id: createdId };
      world[side] = { id: createdId, version, modifiedOn: WRITTEN_AT, data: merge(idField, action.fields) };
      return;
    }
    if (!current || current.id !== action.id) throw new Error(`update of a record that is not there: ${side} ${action.id}`);
    world[side] = { ...current, version, modifiedOn: WRITTEN_AT, data: merge(current.data, action.fields) };
  };
  for (const action of plan.actions) run(action);
  if (createdId) {
    const back = linkBackAction(compiled, plan, createdId);
    if (back) run(back);
  }
  if (plan.nextLink === null) world.link = undefined;
  else if (plan.nextLink !== undefined) {
    const meanderId = plan.meanderId ?? world.meander?.id;
    const portalId = plan.portalId ?? world.portal?.id;
    if (!meanderId || !portalId) throw new Error("a link without both ids");
    world.link = {
      meanderId,
      portalId,
      ...plan.nextLink,
      ...(versions.meander ? { meanderVersion: versions.meander } : {}),
      ...(versions.portal ? { portalVersion: versions.portal } : {}),
    };
  } else if (world.link) {
    world.link = {
      ...world.link,
      ...(versions.meander ? { meanderVersion: versions.meander } : {}),
      ...(versions.portal ? { portalVersion: versions.portal } : {}),
    };
  }
  return written;
}

/** The next run's input: sides written or read before are read again; the others are unchanged (if linked). */
export function nextInput(world: World, read: ReadonlySet<Side>): PairInput {
  const view = (side: Side): SideView => {
    const record = world[side];
    if (!record) {
      const id = side === "meander" ? world.link?.meanderId : world.link?.portalId;
      return id ? { state: "deleted", id } : { state: "absent" };
    }
    return read.has(side) || !world.link ? { state: "present", record } : { state: "unchanged" };
  };
  return { ...(world.link ? { link: world.link } : {}), meander: view("meander"), portal: view("portal") };
}

/**
 * After a create succeeded (the engine's own is shared/sync/linkBack.ts): the write that puts the new record's id into the source's
 * link field, so a later run (or a rerun after a crash) finds the pair by link field.
 * Undefined when the config has no such field or never writes to the source side.
 */
function linkBackAction(compiled: CompiledConfig, plan: PairPlan, createdId: string): Action | undefined {
  const create = plan.actions.find((a) => a.kind === "create");
  if (!create) return undefined;
  const source = otherSide(create.side);
  const sourceId = source === "meander" ? plan.meanderId : plan.portalId;
  const field = linkFieldOf(compiled, source);
  if (!field || !sourceId || !writesTo(compiled.config.direction, source)) return undefined;
  const fields: Record<string, unknown> = {};
  setPath(fields, field, createdId);
  const ifMatch = source === "meander" ? plan.nextLink?.meanderVersion : plan.nextLink?.portalVersion;
  return { kind: "update", side: source, id: sourceId, ...(ifMatch ? { ifMatch } : {}), fields };
}
