/**
 * The planner over fingerprinted baselines (fingerprint.ts). The planner itself is unchanged:
 * before planning, each stored fingerprint is turned back into a value where a side's current
 * value matches it, and into an opaque stand-in that equals no real value where none does
 * (both sides changed, or the only side read differs). After planning, the next baseline is
 * fingerprinted again and a stand-in goes back to the fingerprint it came from.
 *
 * Why this plans exactly what the plain planner plans: the planner only ever compares a
 * baseline value with a side's value or carries it forward. Where the plain baseline equals
 * a present side's value, the stand-in in its place is that same value; where it equals
 * neither, the stand-in equals neither too; an "unchanged" side's value is the baseline in
 * both. Conflicts report such a base as unknown (`undefined`), which is all the fingerprint
 * can tell. Plain values in an old link are taken as they are and fingerprinted on output.
 */
import { MappingError } from "../errors.js";
import { canonicalFromMeander, canonicalFromPortal } from "./canonical.js";
import type { CompiledConfig } from "./compile.js";
import { type Fingerprinter, fingerprintBaseline, hasPlainValues, isFingerprint } from "./fingerprint.js";
import { planPair } from "./planner.js";
import type { PairInput, PlanContext } from "./planTypes.js";
import type { Canonical, FieldConflict, Link, PairPlan, Scalar, Side, SideView } from "./types.js";

/** Starts every stand-in; no value read from either system starts with a NUL character. */
const STAND_IN = "\u0000baseline:";

const standIn = (fingerprint: string) => `${STAND_IN}${fingerprint}`;
const isStandIn = (value: Scalar | undefined): value is string => typeof value === "string" && value.startsWith(STAND_IN);
/** The stand-in's start as it reads inside JSON. */
const STAND_IN_JSON = JSON.stringify(STAND_IN).slice(1, -1);

/**
 * planPair with the link's baseline fingerprinted. Without a fingerprinter it is planPair
 * (unit tests and tools that keep plain baselines).
 */
export function planPairHashed(compiled: CompiledConfig, input: PairInput, context: PlanContext = {}, fingerprint?: Fingerprinter): PairPlan {
  if (!fingerprint) return planPair(compiled, input, context);
  const configId = compiled.config.id;
  const link = input.link && { ...input.link, baseline: rehydrate(compiled, input, input.link, fingerprint) };
  // The loop guard keeps fingerprints of written values, with the baseline's key and in its form.
  const loops =
    context.now && !context.loops ? { now: context.now, fingerprint: (field: string, value: Scalar) => fingerprint(configId, field, value) } : context.loops;
  const plan = planPair(compiled, link ? { ...input, link } : input, loops ? { ...context, loops } : context);
  if (plan.actions.some((a) => a.kind !== "delete" && JSON.stringify(a.fields).includes(STAND_IN_JSON)))
    throw new Error("a baseline stand-in reached a write: the fingerprinted planner is broken");
  return encodePlan(plan, link, fingerprint, configId, input.link !== undefined && hasPlainValues(input.link.baseline));
}

function rehydrate(compiled: CompiledConfig, input: PairInput, link: Link, fingerprint: Fingerprinter): Canonical {
  const configId = compiled.config.id;
  const current = [valuesOf(compiled, "meander", input.meander), valuesOf(compiled, "portal", input.portal)];
  const baseline: Record<string, Scalar> = {};
  for (const [field, stored] of Object.entries(link.baseline)) {
    if (!isFingerprint(stored)) {
      baseline[field] = stored;
      continue;
    }
    const match = current.find((values) => values && Object.hasOwn(values, field) && fingerprint(configId, field, values[field] ?? null) === stored);
    baseline[field] = match ? (match[field] ?? null) : standIn(stored);
  }
  return baseline;
}

/** A present side's canonical values; none when it cannot be mapped (the planner reports that itself). */
function valuesOf(compiled: CompiledConfig, side: Side, view: SideView): Canonical | undefined {
  if (view.state !== "present") return undefined;
  try {
    return side === "meander"
      ? canonicalFromMeander(compiled, view.record.data, view.record.id)
      : canonicalFromPortal(compiled, view.record.data, view.record.id);
  } catch (error) {
    if (error instanceof MappingError) return undefined;
    throw error;
  }
}

function encodePlan(plan: PairPlan, link: Link | undefined, fingerprint: Fingerprinter, configId: string, plainBefore: boolean): PairPlan {
  const encode = (baseline: Canonical): Canonical => {
    const out: Record<string, Scalar> = {};
    for (const [field, value] of Object.entries(baseline)) out[field] = isStandIn(value) ? value.slice(STAND_IN.length) : value;
    return fingerprintBaseline(fingerprint, configId, out);
  };
  const unknownBase = <T extends FieldConflict>(c: T): T => (isStandIn(c.base) ? { ...c, base: undefined } : c);
  let nextLink = plan.nextLink;
  if (nextLink) nextLink = { ...nextLink, baseline: encode(nextLink.baseline) };
  // An old link with plain values is rewritten the first time it is planned, even when nothing changed.
  else if (nextLink === undefined && link && plainBefore) {
    const { meanderId: _m, portalId: _p, ...rest } = link;
    nextLink = { ...rest, baseline: encode(link.baseline) };
  }
  return { ...plan, parked: plan.parked.map(unknownBase), resolved: plan.resolved.map(unknownBase), nextLink };
}
