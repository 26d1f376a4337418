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
import { linkFieldOf, sameId } from "./matching.js";
import { type Known, type MergeState, mergeBoth, mergeOneWay, UNKNOWN } from "./merge.js";
import { getPath, holdsPath, setPath } from "./paths.js";
import { ambiguousPlan } from "./planSummary.js";
import type { PairInput, PlanContext } from "./planTypes.js";
import {
  type Action,
  type Canonical,
  type Link,
  otherSide,
  type PairOutcome,
  type PairPlan,
  type Resolution,
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
  // With a link, a side with no record is a side whose record is gone; without one, an "unchanged" side means nothing.
  const views: Views = {
    meander: normalizeView(input.meander, link?.meanderId, !!link),
    portal: normalizeView(input.portal, link?.portalId, !!link),
  };
  const ids: Partial<Record<Side, string>> = { meander: link?.meanderId ?? idOf(views.meander), portal: link?.portalId ?? idOf(views.portal) };

  if (views.meander.state === "outOfScope" || views.portal.state === "outOfScope")
    return basePlan(ids, link ? "unlink" : "skip", { ...(link ? { nextLink: null } : {}), reason: "OUT_OF_SCOPE" });
  if (views.meander.state === "deleted" || views.portal.state === "deleted") return planDelete(compiled, link, views, ids);
  if (views.meander.state === "absent" && views.portal.state === "absent") return basePlan(ids, "skip");
  if (views.meander.state === "absent" || views.portal.state === "absent") {
    const target: Side = views.meander.state === "absent" ? "meander" : "portal";
    const source = recordOf(views[otherSide(target)]);
    if (!source || !writesTo(compiled.config.direction, target)) return basePlan(ids, "skip");
    // Its link field names a partner we cannot see: one that was deleted or left scope. Creating
    // another would resurrect it (or upsert it back into scope); a person decides instead.
    const ownLink = linkFieldOf(compiled, otherSide(target));
    if (ownLink && !isMissing(getPath(source.data, ownLink))) return basePlan(ids, "skip", { reason: "PARTNER_GONE" });
    return planCreate(compiled, otherSide(target), source, ids, context);
  }
  return planMerge(compiled, input, views, ids, context);
}

function normalizeView(view: SideView, linkedId: string | undefined, linked: boolean): SideView {
  if (linked && view.state === "absent") return { state: "deleted", id: linkedId ?? "" };
  if (!linked && view.state === "unchanged") return { state: "absent" };
  return view;
}

function planDelete(compiled: CompiledConfig, link: Link | undefined, views: Views, ids: Partial<Record<Side, string>>): PairPlan {
  if (!link) return basePlan(ids, "skip");
  if (views.meander.state === "deleted" && views.portal.state === "deleted") return basePlan(ids, "delete", { nextLink: null });
  const gone: Side = views.meander.state === "deleted" ? "meander" : "portal";
  const survivor = otherSide(gone);
  const policy = gone === "meander" ? compiled.config.deletePolicy.meanderDeleted : compiled.config.deletePolicy.portalDeleted;
  const record = recordOf(views[survivor]);
  if (policy !== "delete" || !writesTo(compiled.config.direction, survivor)) return basePlan(ids, "unlink", { nextLink: null, reason: "PARTNER_DELETED" });
  // An edit on the surviving side since the baseline is kept: unlink instead of deleting it.
  if (record && changedSince(compiled, survivor, record, link)) return basePlan(ids, "unlink", { nextLink: null, reason: "EDITED_SINCE_DELETE" });
  const id = survivor === "meander" ? link.meanderId : link.portalId;
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
  const nextLink: NextLink = { baseline, ...(record.version ? { [versionKey(from)]: record.version } : {}) };
  return basePlan(ids, "create", { actions: [{ kind: "create", side: target, fields }], changedFields: { [target]: keys }, nextLink });
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
  const state: MergeState = { writes: { meander: {}, portal: {} }, baseline: {}, parkedNext: new Set(), parked: [], resolved: [] };

  for (const f of compiled.fields) {
    const hasBase = Object.hasOwn(base, f.key);
    const b = hasBase ? (base[f.key] ?? null) : undefined;
    const keep = () => {
      if (wasParked.has(f.key)) state.parkedNext.add(f.key);
      else if (hasBase) state.baseline[f.key] = b ?? null;
    };
    if (f.direction === "both" && resolutions.has(f.key)) {
      const value = resolutions.get(f.key) ?? null;
      for (const side of f.sources) {
        const k = known(side, f);
        if (!k.known || !sameValue(k.value, value)) state.writes[side][f.key] = value;
      }
      state.baseline[f.key] = value;
      continue;
    }
    // A parked field is not three-way merged: one side going back to the old baseline is an
    // edit there too, so until a resolution (or both sides agreeing) it stays a conflict.
    if (f.direction === "both") mergeBoth(f, known("meander", f), known("portal", f), hasBase && !wasParked.has(f.key), b, records, state, keep);
    else mergeOneWay(f, known(f.sources[0]!, f), b, records, state, keep, context);
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
    if (Object.keys(fields).length === 0) continue;
    const ifMatch = record?.version ?? link?.[versionKey(side)];
    actions.push({ kind: "update", side, id, ...(ifMatch ? { ifMatch } : {}), fields });
  }

  const nextLink: NextLink = {
    baseline: state.baseline,
    ...versions(records, link),
    ...(state.parkedNext.size ? { parked: sorted(state.parkedNext) } : {}),
  };
  const changedFields: Partial<Record<Side, string[]>> = {};
  for (const side of ["meander", "portal"] as const) if (Object.keys(state.writes[side]).length) changedFields[side] = Object.keys(state.writes[side]);
  const outcome: PairOutcome = coupling ? "couple" : state.parked.length ? "conflict" : actions.length ? "sync" : "noop";
  return basePlan(ids, outcome, {
    actions,
    parked: state.parked,
    resolved: state.resolved,
    changedFields,
    nextLink: link && sameLink(link, nextLink) ? undefined : nextLink,
  });
}

function versions(records: Record<Side, SideRecord | undefined>, link: Link | undefined): Partial<Pick<Link, "meanderVersion" | "portalVersion">> {
  const meanderVersion = records.meander?.version ?? link?.meanderVersion;
  const portalVersion = records.portal?.version ?? link?.portalVersion;
  return { ...(meanderVersion ? { meanderVersion } : {}), ...(portalVersion ? { portalVersion } : {}) };
}

function sameLink(link: Link, next: NextLink): boolean {
  const a = link.baseline;
  const b = next.baseline;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (Object.hasOwn(a, k) !== Object.hasOwn(b, k) || !sameValue(a[k], b[k])) return false;
  return (
    link.meanderVersion === next.meanderVersion &&
    link.portalVersion === next.portalVersion &&
    sorted(link.parked ?? []).join("\n") === sorted(next.parked ?? []).join("\n")
  );
}

/** The plan for a record without a stored link, given what findPartner found for it. */
export function planUnlinked(compiled: CompiledConfig, fromSide: Side, record: SideRecord, match: MatchResult, context: PlanContext = {}): PairPlan {
  if (match.kind === "ambiguous") return ambiguousPlan(fromSide, record, match.candidates);
  const other = match.kind === "one" ? ({ state: "present", record: match.partner } as const) : ({ state: "absent" } as const);
  const mine = { state: "present", record } as const;
  return planPair(compiled, fromSide === "meander" ? { meander: mine, portal: other } : { meander: other, portal: mine }, context);
}
