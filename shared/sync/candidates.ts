/** Partner candidates asked of the other side: by its link field and by each match key, in as few requests as it allows. */
import type { CompiledConfig } from "../core/compile.js";
import { findPartner, keyVariants } from "../core/matching.js";
import { getPath } from "../core/paths.js";
import type { Scalar, Side, SideRecord } from "../core/types.js";
import { type RunContext, sideOf } from "./context.js";
import { recordOf, type UnitItem } from "./unit.js";

export async function remoteCandidates(ctx: RunContext, partner: Side, items: readonly UnitItem[]): Promise<SideRecord[]> {
  const { config } = ctx.compiled;
  const { port, entity } = sideOf(ctx, partner);
  const lookups: Promise<SideRecord[]>[] = [];
  const linkField = config[partner].linkField;
  if (linkField)
    lookups.push(
      port.findByField(
        entity,
        linkField,
        items.map((i) => i.id),
      ),
    );
  for (const key of config.matchKeys) {
    const fromPath = partner === "portal" ? key.meander : key.portal;
    const values = new Set<Scalar>();
    for (const item of items) {
      const value = getPath(recordOf(item).data, fromPath);
      for (const variant of keyVariants(key.normalize, value)) values.add(variant);
    }
    if (values.size > 0) lookups.push(port.findByField(entity, partner === "portal" ? key.portal : key.meander, [...values]));
  }
  const seen = new Map<string, SideRecord>();
  for (const list of await Promise.all(lookups)) for (const record of list) seen.set(record.id, record);
  return [...seen.values()];
}

/** Whether `candidate` (other side) could be `record`'s partner: same test as findPartner, before it decides. */
export function pointsAt(compiled: CompiledConfig, side: Side, record: SideRecord, candidate: SideRecord): boolean {
  return findPartner(compiled, side, record, [candidate], new Set()).kind === "one";
}
