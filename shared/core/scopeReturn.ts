/**
 * A record that left scope and came back (a contact reactivated, or its likeperson status set
 * again) couples with its old partner again. That partner still holds what the service wrote
 * on it at the scope exit (HLF: the likeperson retired), not a choice anyone made there: the
 * coupling puts back the returning record's value for those fields, instead of letting the
 * exit value flow on as the master's (which would retire the contact a portal user just
 * brought back). A field someone has changed since the exit is left to the ordinary merge.
 */
import { MappingError } from "../errors.js";
import type { CompiledConfig } from "./compile.js";
import { isMissing, mapValue } from "./mapping.js";
import { getPath, setPath } from "./paths.js";
import type { Action, PairPlan, Scalar, Side, SideRecord } from "./types.js";
import { otherSide } from "./types.js";

/** Whether `partner` is exactly as the scope exit of `returning`'s side left it: the exit values, and no link field. */
export function leftByScopeExit(compiled: CompiledConfig, returningSide: Side, partner: SideRecord): boolean {
  const side = otherSide(returningSide);
  const values = compiled.config.scopeExit?.[side];
  if (!values || Object.keys(values).length === 0) return false;
  const linkField = compiled.config[side].linkField;
  if (linkField && !isMissing(getPath(partner.data, linkField))) return false;
  return Object.entries(values).every(([path, value]) => getPath(partner.data, path) === value);
}

/** The coupling plan of a returning pair, with the scope-exit fields taken from the returning record. */
export function undoScopeExit(compiled: CompiledConfig, plan: PairPlan, returning: SideRecord, returningSide: Side, partner: SideRecord): PairPlan {
  const side = otherSide(returningSide);
  const values = compiled.config.scopeExit?.[side] ?? {};
  const baseline: Record<string, Scalar> = { ...(plan.nextLink?.baseline ?? {}) };
  const restore: Record<string, unknown> = {};
  const keys: string[] = [];
  const drop = new Set<string>();
  for (const [path, exitValue] of Object.entries(values)) {
    const f = compiled.fields.find((field) => (side === "meander" ? field.meanderPath : field.portalField) === path);
    const mapping = side === "meander" ? f?.seedToMeander : f?.seedToPortal;
    if (!f || !mapping || getPath(partner.data, path) !== exitValue) continue;
    const raw = returningSide === "portal" ? returning.data[f.portalField] : getPath(returning.data, f.meanderPath);
    if (isMissing(raw)) continue;
    try {
      const value = mapValue(raw, mapping, { recordId: returning.id });
      setPath(restore, path, value);
      baseline[f.key] = (
        side === "meander" ? (f.meanderCanonical ? mapValue(value, f.meanderCanonical) : value) : f.toMeander ? mapValue(value, f.toMeander) : value
      ) as Scalar;
    } catch (error) {
      if (error instanceof MappingError) continue;
      throw error;
    }
    keys.push(f.key);
    drop.add(returningSide === "portal" ? f.portalField : f.meanderPath);
  }
  if (keys.length === 0) return plan;
  const partnerId = side === "meander" ? plan.meanderId : plan.portalId;
  const actions: Action[] = [];
  let restored = false;
  for (const action of plan.actions) {
    if (action.kind !== "update") {
      actions.push(action);
      continue;
    }
    if (action.side === returningSide) {
      // The returning record is not given the exit value back.
      const fields = Object.fromEntries(Object.entries(action.fields).filter(([k]) => !drop.has(k)));
      if (Object.keys(fields).length > 0) actions.push({ ...action, fields });
    } else {
      actions.push({ ...action, fields: { ...action.fields, ...restore } });
      restored = true;
    }
  }
  if (!restored && partnerId) actions.push({ kind: "update", side, id: partnerId, ...(partner.version ? { ifMatch: partner.version } : {}), fields: restore });
  const changed = { ...plan.changedFields };
  changed[side] = [...new Set([...(changed[side] ?? []), ...keys])];
  const back = (changed[returningSide] ?? []).filter((k) => !keys.includes(k));
  if (back.length) changed[returningSide] = back;
  else delete changed[returningSide];
  const reasserted = plan.reasserted?.[returningSide]?.filter((k) => !keys.includes(k));
  const { reasserted: _, ...rest } = plan;
  const otherReasserted = plan.reasserted?.[side];
  const nextReasserted = { ...(reasserted?.length ? { [returningSide]: reasserted } : {}), ...(otherReasserted?.length ? { [side]: otherReasserted } : {}) };
  return {
    ...rest,
    actions,
    changedFields: changed,
    ...(Object.keys(nextReasserted).length ? { reasserted: nextReasserted } : {}),
    nextLink: plan.nextLink ? { ...plan.nextLink, baseline } : plan.nextLink,
  };
}
