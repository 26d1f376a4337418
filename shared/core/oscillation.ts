/**
 * The loop guard: a field the service keeps writing the same value to, on a side that keeps
 * changing it away again (a Dataverse plug-in that rewrites a value Meander is master of, or
 * a portal plug-in and Meander each reformatting a two-way value the other's way), is parked
 * for a person instead of being written every run, for ever.
 *
 * The rule, per pair and field: remember (as a fingerprint, like the baseline) the value the
 * service last wrote to each side. A write that puts that same value on that side again is a
 * flip: the service writes a value only where the side does not hold it, so the side changed
 * it away in between. Flips in a row, each within a day of the field's previous write, are
 * counted; the third is not written: the field is parked. A write of any other value, or a
 * field left unwritten for a day, starts the count afresh.
 *
 * Why that tells a loop from people:
 * - a person toggling a value on one side (A→B→A) makes the service write to the other side
 *   only, and each write is a new value there, never the one it last wrote: no flip;
 * - a person editing back weeks later, or one drift put back: the day has passed, or one flip;
 * - a plug-in rewriting on every write flips at every run (and in the run's echo pass).
 * Two people undoing each other's edits three times within a day are parked too: there a
 * person has to decide as well.
 *
 * Pure: the planner asks `stepLoop` before it writes a field; the state is stored with the link.
 */
import { MappingError } from "../errors.js";
import { sameValue } from "./canonical.js";
import type { CompiledField } from "./compile.js";
import { mapValue } from "./mapping.js";
import { getPath } from "./paths.js";
import type { LoopGuard } from "./planTypes.js";
import type { LoopEntry, Loops, Scalar, Side, SideRecord } from "./types.js";

export type { LoopEntry, LoopGuard, Loops };

/** The third flip in a row is not written. */
export const FLIPS_TO_PARK = 3;
/** A flip counts as "in a row" when the field's previous write was at most this long before. */
export const LOOP_WINDOW_MS = 24 * 60 * 60 * 1000;

const KEY: Record<Side, "m" | "p"> = { meander: "m", portal: "p" };

export const isParkedLoop = (entry: LoopEntry | undefined): boolean => entry !== undefined && entry.n >= FLIPS_TO_PARK;

/** The entry when it still counts at `now`: a parked one always, another within the window of its last write. */
export function liveEntry(entry: LoopEntry | undefined, now: string): LoopEntry | undefined {
  if (!entry) return undefined;
  if (isParkedLoop(entry)) return entry;
  const age = Date.parse(now) - Date.parse(entry.at);
  return Number.isNaN(age) || age > LOOP_WINDOW_MS ? undefined : entry;
}

/** The link's entries still live at `now` (expired ones are dropped when the link is next stored). */
export function liveLoops(loops: Loops | undefined, now: string | undefined): Record<string, LoopEntry> {
  const out: Record<string, LoopEntry> = {};
  for (const [field, entry] of Object.entries(loops ?? {})) {
    const live = now === undefined ? entry : liveEntry(entry, now);
    if (live) out[field] = live;
  }
  return out;
}

/** Fields parked by the guard. */
export const parkedLoopFields = (loops: Loops | undefined): string[] =>
  Object.entries(loops ?? {})
    .filter(([, e]) => isParkedLoop(e))
    .map(([field]) => field)
    .sort();

export interface LoopStep {
  /** The field's next entry. */
  readonly entry: LoopEntry;
  /** True: this would be the third flip in a row: write nothing, park the field. */
  readonly park: boolean;
}

/** The guard's decision for one field the merge wants to write (`writes`: canonical values per side). */
export function stepLoop(field: string, entry: LoopEntry | undefined, writes: Partial<Record<Side, Scalar>>, guard: LoopGuard): LoopStep {
  const live = liveEntry(entry, guard.now);
  const next: { m?: string; p?: string } = { ...(live?.m ? { m: live.m } : {}), ...(live?.p ? { p: live.p } : {}) };
  let flip = false;
  for (const side of ["meander", "portal"] as const) {
    if (!Object.hasOwn(writes, side)) continue;
    const fingerprint = guard.fingerprint(field, writes[side] ?? null);
    if (live?.[KEY[side]] === fingerprint) flip = true;
    next[KEY[side]] = fingerprint;
  }
  const n = flip ? (live?.n ?? 0) + 1 : 0;
  return { entry: { ...next, n, at: guard.now }, park: n >= FLIPS_TO_PARK };
}

/** True when an opaque stand-in (core/hashedPlan.ts) takes the place of a value no side showed. */
export const isOpaque = (value: Scalar | undefined): boolean => typeof value === "string" && value.startsWith("\u0000");

/**
 * A one-way field's value as its target holds it, in canonical (Meander) space, for a person
 * to read: the target is not a source of the field, so its value is mapped back the way a new
 * record is seeded. Undefined when it cannot be (then nothing is parked: see the planner).
 */
export function targetValue(f: CompiledField, target: Side, record: SideRecord | undefined): Scalar | undefined {
  if (!record) return undefined;
  try {
    if (target === "portal") {
      const raw = record.data[f.portalField];
      const value = f.seedToMeander ? mapValue(raw, f.seedToMeander) : raw;
      return scalar(f.meanderCanonical ? mapValue(value, f.meanderCanonical) : value);
    }
    const raw = getPath(record.data, f.meanderPath);
    const value = f.seedToPortal ? mapValue(raw, f.seedToPortal) : raw;
    return scalar(f.toMeander ? mapValue(value, f.toMeander) : value);
  } catch (error) {
    if (error instanceof MappingError) return undefined;
    throw error;
  }
}

const scalar = (v: unknown): Scalar | undefined =>
  v === undefined ? null : v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)) ? v : undefined;

/** Whether both values are known and equal: a parked field whose sides came to agree is over. */
export const agreed = (a: Scalar | undefined, b: Scalar | undefined): boolean =>
  a !== undefined && b !== undefined && !isOpaque(a) && !isOpaque(b) && sameValue(a, b);

/** Whether two loop states hold the same entries (key order aside). */
export function sameLoops(a: Loops | undefined, b: Loops | undefined): boolean {
  const text = (l: Loops | undefined) =>
    JSON.stringify(
      Object.entries(l ?? {})
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        .map(([k, e]) => [k, e.m ?? null, e.p ?? null, e.n, e.at]),
    );
  return text(a) === text(b);
}
