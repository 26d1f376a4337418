/**
 * The planner: what to do with one pair of records, as a pure function of the stored
 * link (with its baseline), both sides' views, and any conflict resolutions.
 * Field by field it is a three-way merge against the baseline (docs/architecture.md, step 4).
 */
import { MappingError } from "../errors.js";
import { canonicalFromMeander, canonicalFromPortal, canonicalValue, meanderPayload, portalPayload, sameValue } from "./canonical.js";
import { type CompiledConfig, type CompiledField, writesTo } from "./compile.js";
import { isMissing, mapValue } from "./mapping.js";
import type { MatchResult } from "./matching.js";
import { linkFieldOf, matchable, sameId } from "./matching.js";
import { type Known, mergeField, UNKNOWN } from "./merge.js";
import { agreed, isOpaque, isParkedLoop, type LoopEntry, liveLoops, sameLoops, stepLoop, targetValue } from "./oscillation.js";
import { getPath, holdsPath, setPath } from "./paths.js";
import { ambiguousPlan, confirmMatchPlan } from "./planSummary.js";
import type { PairInput, PlanContext } from "./planTypes.js";
import { undoScopeExit } from "./scopeReturn.js";
import {
  type Action,
  type Canonical,
  type FieldConflict,
  type Link,
  otherSide,
  type PairOutcome,
  type PairPlan,
  type ResolvedConflict,
  type Scalar,
  type Side,
  type SideRecord,
  type SideView,
} from "./types.js";

type Views = Record<Side, SideView>;
type NextLink = Exclude<PairPlan["nextLink"], null | undefined>;

const idOf = (view: SideView): string | undefined =>
  view.state === "present" || view.state === "outOfScope" ? view.record.id : view.state === "deleted" ? view.id : undefined;
const recordOf = (view: SideView): SideRecord | undefined => (view.state === "present" ? view.record : undefined);
const versionKey = (side: Side) => (side === "meander" ? "meanderVersion" : "portalVersion");
const sorted = (items: Iterable<string>) => [...items].sort();

function basePlan(ids: Partial<Record<Side, string>>, outcome: PairOutcome, rest: Partial<PairPlan> = {}): PairPlan {
  return {
    key: ids.meander !== undefined ? `m:${ids.meander}` : `p:${ids.portal}`,
    ...(ids.meander !== undefined ? { meanderId: ids.meander } : {}),
    ...(ids.portal !== undefined ? { portalId: ids.portal } : {}),
    outcome,
    actions: [],
    parked: [],
    resolved: [],
    changedFields: {},
    nextLink: undefined,
    ...rest,
  };
}

const canonicalOf = (compiled: CompiledConfig, side: Side, record: SideRecord): Canonical =>
  side === "meander" ? canonicalFromMeander(compiled, record.data, record.id) : canonicalFromPortal(compiled, record.data, record.id);

export function planPair(compiled: CompiledConfig, input: PairInput, context: PlanContext = {}): PairPlan {
  const { link } = input;
  // Without a link, an "unchanged" side means nothing.
  const views: Views = {
    meander: !link && input.meander.state === "unchanged" ? { state: "absent" } : input.meander,
    portal: !link && input.portal.state === "unchanged" ? { state: "absent" } : input.portal,
  };
  const ids: Partial<Record<Side, string>> = { meander: link?.meanderId ?? idOf(views.meander), portal: link?.portalId ?? idOf(views.portal) };

  // A linked record that a read did not return is not a deletion: only a tombstone, or a read
  // of that one id answering "not found", is. Until then the pair is left as it is.
  if (link && (views.meander.state === "absent" || views.portal.state === "absent")) return basePlan(ids, "skip", { reason: "PARTNER_NOT_READ" });
  if (views.meander.state === "outOfScope" || views.portal.state === "outOfScope") {
    if (!link) return basePlan(ids, "skip", { reason: "OUT_OF_SCOPE" });
    return planScopeExit(compiled, link, views, ids);
  }
  if (views.meander.state === "deleted" || views.portal.state === "deleted") return planDelete(compiled, link, views, ids);
  if (views.meander.state === "absent" && views.portal.state === "absent") return basePlan(ids, "skip");
  if (views.meander.state === "absent" || views.portal.state === "absent") {
    const target: Side = views.meander.state === "absent" ? "meander" : "portal";
    const source = recordOf(views[otherSide(target)]);
    if (!source || !writesTo(compiled.config.direction, target)) return basePlan(ids, "skip");
    if (!matchable(compiled, otherSide(target), source)) return basePlan(ids, "skip", { reason: "NOT_MATCHABLE" });
    // Its link field names a partner we cannot see: one that was deleted or left scope. Creating
    // another would resurrect it (or upsert it back into scope); a person decides instead.
    const ownLink = linkFieldOf(compiled, otherSide(target));
    if (ownLink && !isMissing(getPath(source.data, ownLink))) return basePlan(ids, "skip", { reason: "PARTNER_GONE" });
    // The member register gets no record a person has not asked for (Web API creates skip duplicate detection).
    if (target === "portal" && !compiled.createUnmatched && !input.forceCreate) return basePlan(ids, "unmatched", { reason: "NO_MATCH" });
    return planCreate(compiled, otherSide(target), source, ids, context);
  }
  const plan = planMerge(compiled, input, views, ids, context);
  const back = input.returning;
  const returning = back && !link ? recordOf(views[back]) : undefined;
  const partner = back && !link ? recordOf(views[otherSide(back)]) : undefined;
  return back && returning && partner ? undoScopeExit(compiled, plan, returning, back, partner) : plan;
}

/** Dataverse's inactive state for a custom table's record (statecode 1 Inactive, statuscode 2 Inactive). */
const DEACTIVATE: Readonly<Record<string, Scalar>> = { statecode: 1, statuscode: 2 };

/** Configured values in a side's own shape, plus its link field cleared when asked. */
function sideFields(compiled: CompiledConfig, side: Side, values: Readonly<Record<string, Scalar>>, clearLink: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (side === "portal") fields[key] = value;
    else setPath(fields, key, value);
  }
  const linkField = linkFieldOf(compiled, side);
  if (clearLink && linkField) setPath(fields, linkField, null);
  return fields;
}

/**
 * A linked record left its side's scope (a contact deactivated, or its likeperson status
 * cleared): the record that left is never written again; the other side gets the config's
 * scope-exit values (HLF: the likeperson retired) and loses its link field; the pair is unlinked.
 */
function planScopeExit(compiled: CompiledConfig, link: Link, views: Views, ids: Partial<Record<Side, string>>): PairPlan {
  const left: Side = views.portal.state === "outOfScope" ? "portal" : "meander";
  // A contact merged into another: the member is the survivor now. The engine moves the link there before
  // planning (shared/sync/merges.ts); a merge it could not follow (survivor gone, a loop) is unlinked, neither written.
  const masterField = compiled.config.portal.masterField;
  const master = left === "portal" && masterField && views.portal.state === "outOfScope" ? views.portal.record.data[masterField] : undefined;
  if (typeof master === "string" && master && !sameId(master, link.portalId))
    return basePlan(ids, "unlink", { nextLink: null, reason: "MERGED", followMerge: { meanderId: link.meanderId, masterId: master } });
  const other = otherSide(left);
  const unlink = basePlan(ids, "unlink", { nextLink: null, reason: "OUT_OF_SCOPE" });
  const values = compiled.config.scopeExit?.[other];
  const state = views[other].state;
  if (!values || state === "outOfScope" || state === "deleted" || !writesTo(compiled.config.direction, other)) return unlink;
  const id = other === "meander" ? link.meanderId : link.portalId;
  // No If-Match: the write touches only these fields, and must land even if the record changed meanwhile.
  const action: Action = { kind: "update", side: other, id, fields: sideFields(compiled, other, values, true) };
  return { ...unlink, actions: [action], changedFields: { [other]: Object.keys(values) } };
}

function planDelete(compiled: CompiledConfig, link: Link | undefined, views: Views, ids: Partial<Record<Side, string>>): PairPlan {
  if (!link) return basePlan(ids, "skip");
  if (views.meander.state === "deleted" && views.portal.state === "deleted") return basePlan(ids, "delete", { nextLink: null });
  const gone: Side = views.meander.state === "deleted" ? "meander" : "portal";
  const survivor = otherSide(gone);
  const { deletePolicy } = compiled.config;
  const policy = gone === "meander" ? deletePolicy.meanderDeleted : deletePolicy.portalDeleted;
  const record = recordOf(views[survivor]);
  if (policy === "unlink" || !writesTo(compiled.config.direction, survivor)) return basePlan(ids, "unlink", { nextLink: null, reason: "PARTNER_DELETED" });
  const id = survivor === "meander" ? link.meanderId : link.portalId;
  if (policy === "retire" || policy === "deactivate") {
    const values = policy === "deactivate" ? DEACTIVATE : (deletePolicy.retire?.[survivor] ?? {});
    const action: Action = { kind: "update", side: survivor, id, fields: sideFields(compiled, survivor, values, policy === "retire") };
    return basePlan(ids, policy, { actions: [action], changedFields: { [survivor]: Object.keys(values) }, nextLink: null, reason: "PARTNER_DELETED" });
  }
  // A portal record is deleted only where the config allows it (compileConfig refuses otherwise); checked again here.
  if (survivor === "portal" && compiled.config.portal.allowDelete !== true) return basePlan(ids, "unlink", { nextLink: null, reason: "DELETE_NOT_ALLOWED" });
  // An edit on the surviving side since the baseline is kept: unlink instead of deleting it.
  if (record && changedSince(compiled, survivor, record, link)) return basePlan(ids, "unlink", { nextLink: null, reason: "EDITED_SINCE_DELETE" });
  const ifMatch = record?.version ?? link[versionKey(survivor)];
  const action: Action = { kind: "delete", side: survivor, id, ...(ifMatch ? { ifMatch } : {}) };
  return basePlan(ids, "delete", { actions: [action], nextLink: null });
}

function changedSince(compiled: CompiledConfig, side: Side, record: SideRecord, link: Link): boolean {
  let values: Canonical;
  try {
    values = canonicalOf(compiled, side, record);
  } catch (error) {
    if (error instanceof MappingError) return true; // cannot tell: keep it
    throw error;
  }
  const parked = new Set(link.parked ?? []);
  return compiled.fields.some(
    (f) => f.sources.includes(side) && (parked.has(f.key) || !Object.hasOwn(link.baseline, f.key) || !sameValue(values[f.key], link.baseline[f.key])),
  );
}

function planCreate(compiled: CompiledConfig, from: Side, record: SideRecord, ids: Partial<Record<Side, string>>, context: PlanContext): PairPlan {
  const target = otherSide(from);
  const values = canonicalOf(compiled, from, record);
  const keys = compiled.fields.filter((f) => f.sources.includes(from) && writesTo(f.direction, target)).map((f) => f.key);
  const fields =
    target === "portal"
      ? dropNullBinds(portalPayload(compiled, values, keys, { lookups: context.lookups, recordId: record.id }))
      : meanderPayload(compiled, values, keys, { recordId: record.id });
  const linkField = linkFieldOf(compiled, target);
  if (linkField) setPath(fields, linkField, record.id);
  const baseline: Record<string, Scalar> = {};
  for (const key of keys) baseline[key] = values[key] ?? null;
  // Fields only the new record is a source of start at what it will hold (its default or null),
  // so its empty value does not flow back and wipe the source's own value on the next run.
  for (const f of compiled.fields) if (!f.sources.includes(from)) setIfMappable(baseline, f, target);
  seed(compiled, from, record, fields, baseline, keys);
  const nextLink: NextLink = { baseline, ...(record.version ? { [versionKey(from)]: record.version } : {}) };
  return basePlan(ids, "create", { actions: [{ kind: "create", side: target, fields }], changedFields: { [target]: keys }, nextLink });
}

/**
 * A new record gets the values the source has of fields the other side is master of (a
 * new contact needs the name Meander knows; a new likeperson the status the portal set).
 * From then on only the master's values flow. A value that cannot be mapped is left out.
 */
function seed(
  compiled: CompiledConfig,
  from: Side,
  record: SideRecord,
  fields: Record<string, unknown>,
  baseline: Record<string, Scalar>,
  keys: readonly string[],
) {
  const target = otherSide(from);
  for (const f of compiled.fields) {
    if (keys.includes(f.key)) continue;
    const mapping = target === "portal" ? f.seedToPortal : f.seedToMeander;
    if (!mapping) continue;
    const raw = from === "meander" ? getPath(record.data, f.meanderPath) : record.data[f.portalField];
    if (isMissing(raw)) continue;
    try {
      const value = mapValue(raw, mapping, { recordId: record.id });
      if (isMissing(value)) continue;
      if (target === "portal") {
        fields[f.portalField] = value;
        baseline[f.key] = (f.toMeander ? mapValue(value, f.toMeander) : value) as Scalar;
      } else {
        setPath(fields, f.meanderPath, value);
        baseline[f.key] = (f.meanderCanonical ? mapValue(value, f.meanderCanonical) : value) as Scalar;
      }
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
    }
  }
}

function setIfMappable(baseline: Record<string, Scalar>, f: CompiledField, side: Side): void {
  const mapping = side === "meander" ? f.meanderCanonical : f.toMeander;
  if (!mapping) return;
  try {
    baseline[f.key] = (mapValue(undefined, mapping) ?? null) as Scalar;
  } catch (error) {
    if (!(error instanceof MappingError)) throw error; // required with no default: unknown until read
  }
}

/** Dataverse refuses a null @odata.bind on create; an empty lookup is simply not set. */
function dropNullBinds(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([k, v]) => !(k.endsWith("@odata.bind") && v === null)));
}

function planMerge(compiled: CompiledConfig, input: PairInput, views: Views, ids: Partial<Record<Side, string>>, context: PlanContext): PairPlan {
  const { link } = input;
  const records = { meander: recordOf(views.meander), portal: recordOf(views.portal) };
  const values = {
    meander: records.meander ? canonicalOf(compiled, "meander", records.meander) : undefined,
    portal: records.portal ? canonicalOf(compiled, "portal", records.portal) : undefined,
  };
  const wasParked = new Set(link?.parked ?? []);
  const base = link?.baseline ?? {};
  const known = (side: Side, f: CompiledField): Known => {
    const vals = values[side];
    const record = records[side];
    if (vals && record) {
      const held = holdsPath(record.data, side === "meander" ? f.meanderPath : f.portalField);
      return held && Object.hasOwn(vals, f.key) ? { known: true, value: vals[f.key] ?? null } : UNKNOWN;
    }
    // An unchanged side holds the baseline, except where a conflict is parked: there its value is its own.
    return wasParked.has(f.key) || !Object.hasOwn(base, f.key) ? UNKNOWN : { known: true, value: base[f.key] ?? null };
  };
  // A resolution for a field the config no longer maps has nothing left to settle.
  const resolutions = new Map(
    (input.resolutions ?? [])
      .filter((r) => compiled.fieldByKey.has(r.field))
      .map((r) => [r.field, canonicalValue(compiled, r.field, r.value, ids.meander ?? ids.portal)]),
  );
  const state = { writes: { meander: {}, portal: {} } as Record<Side, Record<string, Scalar>>, baseline: {} as Record<string, Scalar> };
  const parkedNext = new Set<string>();
  const parked: FieldConflict[] = [];
  const resolved: ResolvedConflict[] = [];
  const reassertedKeys = new Set<string>();
  // The loop guard (oscillation.ts): entries of fields written lately, and fields it holds parked.
  const guard = context.loops;
  const loopsNext: Record<string, LoopEntry> = liveLoops(link?.loops, guard?.now);
  const oscillating: FieldConflict[] = [];
  /** A one-way field's value for its master side, which the payloads do not map (a person's decision on an oscillation). */
  const masterWrites: Record<Side, Record<string, unknown>> = { meander: {}, portal: {} };
  /** A side's value of a field as a person reads it; undefined when it is not known. */
  const sideValue = (side: Side, f: CompiledField): Scalar | undefined => {
    if (!f.sources.includes(side)) return targetValue(f, side, records[side]);
    const k = known(side, f);
    return k.known && !isOpaque(k.value) ? k.value : undefined;
  };

  for (const f of compiled.fields) {
    const hasBase = Object.hasOwn(base, f.key);
    const b = hasBase ? (base[f.key] ?? null) : undefined;
    const loopParked = isParkedLoop(link?.loops?.[f.key]);
    if ((f.direction === "both" || loopParked) && resolutions.has(f.key)) {
      const value = resolutions.get(f.key) ?? null;
      const written: Partial<Record<Side, Scalar>> = {};
      for (const side of loopParked ? (["meander", "portal"] as const).filter((s) => writesTo(compiled.config.direction, s)) : f.sources) {
        const held = sideValue(side, f);
        if (held !== undefined && sameValue(held, value)) continue;
        written[side] = value;
        if (f.sources.includes(side) && f.direction !== "both") setMasterValue(masterWrites[side], f, side, value);
        else state.writes[side][f.key] = value;
      }
      state.baseline[f.key] = value;
      delete loopsNext[f.key];
      // The decided value starts a fresh count: a plug-in that still rewrites it is parked again.
      if (guard && Object.keys(written).length) loopsNext[f.key] = stepLoop(f.key, undefined, written, guard).entry;
      continue;
    }
    if (loopParked) {
      // Held parked by the loop guard: written to neither side until a person decides, or both sides agree again.
      const m = sideValue("meander", f);
      const p = sideValue("portal", f);
      if (agreed(m, p)) {
        state.baseline[f.key] = m ?? null;
        delete loopsNext[f.key];
        continue;
      }
      parkedNext.add(f.key);
      if (hasBase) state.baseline[f.key] = b ?? null;
      if (m !== undefined && p !== undefined) oscillating.push({ field: f.key, base: undefined, meander: m, portal: p });
      continue;
    }
    // A parked field is not three-way merged: one side going back to the old baseline is an
    // edit there too, so until a resolution (or both sides agreeing) it stays a conflict.
    const usable = f.direction !== "both" || !wasParked.has(f.key);
    const outcome = mergeField({
      field: f,
      meander: f.sources.includes("meander") ? known("meander", f) : UNKNOWN,
      portal: f.sources.includes("portal") ? known("portal", f) : UNKNOWN,
      base: hasBase && usable ? { value: b ?? null } : undefined,
      storedBase: b,
      records,
      context,
    });
    if (guard && link && outcome.writes && !f.lookup) {
      const step = stepLoop(f.key, link.loops?.[f.key], outcome.writes, guard);
      const m = sideValue("meander", f);
      const p = sideValue("portal", f);
      if (step.park && m !== undefined && p !== undefined) {
        // The third flip in a row: not written. Parked with both values, for a person.
        loopsNext[f.key] = step.entry;
        parkedNext.add(f.key);
        if (hasBase) state.baseline[f.key] = b ?? null;
        oscillating.push({ field: f.key, base: undefined, meander: m, portal: p });
        continue;
      }
      // Where a side's value is not known, nothing is parked for a person to decide blind: the next flip parks.
      loopsNext[f.key] = step.park ? { ...step.entry, n: step.entry.n - 1 } : step.entry;
    }
    for (const side of ["meander", "portal"] as const) {
      const value = outcome.writes?.[side];
      if (value !== undefined) state.writes[side][f.key] = value;
    }
    if (outcome.baseline === "keep") {
      if (wasParked.has(f.key)) parkedNext.add(f.key);
      else if (hasBase) state.baseline[f.key] = b ?? null;
    } else if (outcome.baseline !== "unset") state.baseline[f.key] = outcome.baseline.value;
    if (outcome.parked) {
      parked.push(outcome.parked);
      parkedNext.add(f.key);
    }
    if (outcome.resolved) resolved.push(outcome.resolved);
    if (outcome.reasserted) reassertedKeys.add(f.key);
  }

  const coupling = !link;
  const actions: Action[] = [];
  for (const side of ["meander", "portal"] as const) {
    const keys = Object.keys(state.writes[side]);
    const id = side === "meander" ? ids.meander! : ids.portal!;
    const recordId = ids.meander ?? ids.portal;
    const fields =
      side === "portal"
        ? portalPayload(compiled, state.writes.portal, keys, { lookups: context.lookups, recordId })
        : meanderPayload(compiled, state.writes.meander, keys, { recordId });
    const record = records[side];
    const linkField = linkFieldOf(compiled, side);
    const partnerId = side === "meander" ? ids.portal : ids.meander;
    if (coupling && linkField && record && writesTo(compiled.config.direction, side) && !sameId(getPath(record.data, linkField), partnerId))
      setPath(fields, linkField, partnerId);
    Object.assign(fields, masterWrites[side]);
    if (Object.keys(fields).length === 0) continue;
    const ifMatch = record?.version ?? link?.[versionKey(side)];
    actions.push({ kind: "update", side, id, ...(ifMatch ? { ifMatch } : {}), fields });
  }

  const nextLink: NextLink = {
    baseline: state.baseline,
    ...versions(records, link),
    ...(parkedNext.size ? { parked: sorted(parkedNext) } : {}),
    ...(Object.keys(loopsNext).length ? { loops: loopsNext } : {}),
  };
  const changedFields: Partial<Record<Side, string[]>> = {};
  for (const side of ["meander", "portal"] as const) {
    const keys = [
      ...Object.keys(state.writes[side]),
      ...compiled.fields.filter((f) => holdsPath(masterWrites[side], side === "meander" ? f.meanderPath : f.portalField)).map((f) => f.key),
    ];
    if (keys.length) changedFields[side] = keys;
  }
  const outcome: PairOutcome = coupling ? "couple" : parked.length || oscillating.length ? "conflict" : actions.length ? "sync" : "noop";
  const reasserted: Partial<Record<Side, string[]>> = {};
  for (const key of reassertedKeys) {
    const target = otherSide(compiled.fieldByKey.get(key)!.sources[0]!);
    reasserted[target] = [...(reasserted[target] ?? []), key];
  }
  return basePlan(ids, outcome, {
    actions,
    ...(reassertedKeys.size ? { reasserted } : {}),
    parked,
    resolved,
    ...(oscillating.length ? { oscillating } : {}),
    changedFields,
    nextLink: link && sameLink(link, nextLink, guard?.now) ? undefined : nextLink,
  });
}

function versions(records: Record<Side, SideRecord | undefined>, link: Link | undefined): Partial<Pick<Link, "meanderVersion" | "portalVersion">> {
  const meanderVersion = records.meander?.version ?? link?.meanderVersion;
  const portalVersion = records.portal?.version ?? link?.portalVersion;
  return { ...(meanderVersion ? { meanderVersion } : {}), ...(portalVersion ? { portalVersion } : {}) };
}

function sameLink(link: Link, next: NextLink, now: string | undefined): boolean {
  const a = link.baseline;
  const b = next.baseline;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (Object.hasOwn(a, k) !== Object.hasOwn(b, k) || !sameValue(a[k], b[k])) return false;
  return (
    link.meanderVersion === next.meanderVersion &&
    link.portalVersion === next.portalVersion &&
    sorted(link.parked ?? []).join("\n") === sorted(next.parked ?? []).join("\n") &&
    // Entries that only expired are dropped the next time the link is stored for another reason.
    sameLoops(liveLoops(link.loops, now), next.loops)
  );
}

/** A person's value for a one-way field, written to its master side in that side's own shape. */
function setMasterValue(fields: Record<string, unknown>, f: CompiledField, side: Side, value: Scalar): void {
  if (side === "meander") setPath(fields, f.meanderPath, value);
  else fields[f.portalField] = f.seedToPortal ? mapValue(value, f.seedToPortal) : value;
}

/** The plan for a record without a stored link, given what findPartner found for it. */
export function planUnlinked(compiled: CompiledConfig, fromSide: Side, record: SideRecord, match: MatchResult, context: PlanContext = {}): PairPlan {
  if (match.kind === "ambiguous") return ambiguousPlan(fromSide, record, match.candidates);
  if (match.kind === "one" && !match.autoCouple) return confirmMatchPlan(fromSide, record, match.partner.id, match.by);
  const other = match.kind === "one" ? ({ state: "present", record: match.partner } as const) : ({ state: "absent" } as const);
  const mine = { state: "present", record } as const;
  return planPair(compiled, fromSide === "meander" ? { meander: mine, portal: other } : { meander: other, portal: mine }, context);
}
