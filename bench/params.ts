/**
 * What the benchmark measures (issue 7): the data sets, the incremental edits and the costs
 * the simulators charge. Shared by `npm run bench` and the small version in `npm test`.
 */
import type { DatasetOptions } from "../sim/data/generator.js";
import { HLF, type HlfShape } from "../sim/data/hlf.js";
import type { Limits } from "../sim/dataverse/index.js";

/**
 * The four, and `idle-again`: a second idle run, once the service's own writes of the
 * incremental run have come back through the feeds (the steady state of a quiet day).
 */
export type ScenarioName =
  | "initial"
  | "incremental"
  | "idle"
  | "idle-again"
  | "scale"
  | "hlf-first"
  | "hlf-activities-first"
  | "hlf-incremental"
  | "hlf-activities-incremental"
  | "hlf-idle"
  | "hlf-activities-idle";
export const SCENARIOS: readonly ScenarioName[] = [
  "initial",
  "incremental",
  "idle",
  "idle-again",
  "scale",
  "hlf-first",
  "hlf-activities-first",
  "hlf-incremental",
  "hlf-activities-incremental",
  "hlf-idle",
  "hlf-activities-idle",
];

/**
 * HLF's second config, run after each hlf likepersons scenario as the timer runs it (its lookups
 * resolve through the likepersons links): Meander's activity reports to the portal, one way.
 */
export const ACTIVITIES_CONFIG_ID = "activities";
export const isActivities = (name: ScenarioName): boolean => name.startsWith("hlf-activities-");
export const configOf = (name: ScenarioName): string => (isActivities(name) ? ACTIVITIES_CONFIG_ID : CONFIG_ID);

/**
 * The portal columns that hold a member's personal data in the likepersons config: what
 * "personal-data cells read" counts (rows × these columns present in what was read).
 */
export const PERSONAL_PORTAL_COLUMNS = ["firstname", "lastname", "emailaddress1", "mobilephone", "address1_postalcode", "address1_city"] as const;
/** The same data as canonical fields (keys of a link's baseline and a conflict's fields). */
export const PERSONAL_FIELDS = ["firstName", "lastName", "contact.email", "contact.mobile", "address.postalCode", "address.city"] as const;

/** Ordinary members edited between runs in the hlf scenario (membership work), of those not likepersons. */
export const HLF_MEMBER_EDIT_SHARE = 0.02;

/** The config under measurement: HLF's own in the hlf scenarios, the two-way test mapping in the generic ones (bench/suite.ts). */
export const CONFIG_ID = "likepersons";

export interface Costs {
  /** Dataverse: per request, and per record operation (inside a $batch too). */
  readonly dataverseLatencyMs: number;
  readonly dataversePerRecordMs: number;
  readonly dataverseLimits: Limits | false;
  readonly meanderLatencyMs: number;
}

/** Dataverse's documented service protection limits, per user: 6,000 requests and 20 min execution per 5 min, 52 concurrent. */
export const DATAVERSE_LIMITS: Limits = {
  requestsPerWindow: 6_000,
  windowMs: 5 * 60_000,
  maxConcurrent: 52,
  executionMsPerWindow: 20 * 60_000,
};

export const REALISTIC_COSTS: Costs = {
  dataverseLatencyMs: 20,
  dataversePerRecordMs: 1,
  dataverseLimits: DATAVERSE_LIMITS,
  meanderLatencyMs: 10,
};

/** Shares of the incremental scenario, of the records each side holds after the initial run. */
export const EDIT_SHARES = { editedEachSide: 0.01, editedBoth: 0.001, deleted: 0.001 } as const;

/**
 * `perSide` people in the portal and in Meander, four fifths of them the same people, a
 * fifth of those pairs differing in some field. The generator draws people, puts `overlap`
 * of them on both sides and splits the rest evenly, so `perSide * (2 - shared)` people give
 * `perSide` on each side.
 */
export function dataset(perSide: number, seed = 20_261_126): DatasetOptions {
  const shared = 0.8;
  const people = Math.round(perSide * (2 - shared));
  return {
    seed,
    people,
    overlap: (perSide * shared) / people,
    conflictingShare: 0.2,
    // Equal values written differently (e-mail case, phone format): a good test for writes that change nothing.
    formatNoiseShare: 0.1,
    ambiguousShare: 0,
    portalOnlyMembers: 0,
    activitiesPerPerson: 0,
  };
}

/** Page and batch sizes the minimum is computed with: the adapters' and the contract's own. */
export const SIZES = {
  portal: { pageSize: 5_000, batchSize: 100 },
  meander: { pageSize: 500, batchSize: 100 },
} as const;

export interface BenchPlan {
  /** People per side for initial, incremental and idle. */
  readonly perSide: number;
  /** People per side for the scale scenario; 0 skips it. */
  readonly scalePerSide: number;
  /** Changed records the record-at-a-time baseline really runs (per side); the rest is extrapolated. */
  readonly baselineSample: number;
  readonly costs: Costs;
  /** Timer runs a scenario may take when runs stop at their time budget; default 10. */
  readonly maxRuns?: number;
  /** The hlf scenario's data (sim/data/hlf.ts); omitted skips it. */
  readonly hlf?: HlfShape;
  /** false: the hlf scenarios run the likepersons config only, not the activities one after it. */
  readonly hlfActivities?: boolean;
}

export const FULL_PLAN: BenchPlan = { perSide: 50_000, scalePerSide: 200_000, baselineSample: 200, costs: REALISTIC_COSTS, maxRuns: 10, hlf: HLF };

/** `--quick`: the same scenarios on smaller sets (a tenth of HLF, a fiftieth of its activity reports: creating them dominates), in a few minutes. */
export const QUICK_PLAN: BenchPlan = {
  perSide: 2_000,
  scalePerSide: 5_000,
  baselineSample: 20,
  costs: REALISTIC_COSTS,
  maxRuns: 10,
  hlf: { contacts: 7_000, portalLikepersons: 60, meanderLikepersons: 60, overlapping: 55, activities: 2_000 },
};
