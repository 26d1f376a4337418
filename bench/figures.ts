/**
 * From raw measurements to the figures the issue asks for: each beside its minimum
 * (reads: ⌈records / page size⌉ pages, at least one; writes: ⌈changes / batch size⌉
 * batches) and beside the record-at-a-time baseline, extrapolated from the sample run.
 *
 * "Records" in the minimum are the records users changed on that side since the last run
 * (all of them on a first run). Echoes, the service's own writes coming back through a
 * feed, are not in it: they are a cost of the engine's read order, shown on their own line.
 */
import type { BaselineMeasurement, BaselineSide } from "./baseline.js";
import { idsPerRead } from "./byId.js";
import { changesOf, type TableOps } from "./measure.js";
import { type BenchPlan, isActivities, PERSONAL_PORTAL_COLUMNS, type ScenarioName, SIZES } from "./params.js";
import type { ScenarioRaw, SuiteRaw } from "./suite.js";

export interface SideFigures {
  /** Requests to the system's own API (Dataverse Web API, Meander sync contract), 429s included. */
  readonly requests: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Records and deletions the side's feed delivered. */
  readonly read: number;
  /** Of those, records users changed since the last run (the rest are the service's own earlier writes coming back). */
  readonly sourceChanges: number;
  /** Records the run found as they were (its own or the last run's writes coming back, pairs already in step). */
  readonly unchanged: number;
  /** Records the run created, updated or deleted on this side (the engine's count). */
  readonly changes: number;
  /** Records the simulator saw change. */
  readonly written: number;
  readonly noopWrites: number;
  readonly throttled: number;
  readonly retryAfterViolations: number;
  /**
   * Pages of the feed, reads by id, write batches. Reads by id are inherent to a narrowed feed
   * (HLF's contacts: only in-scope changes are read with their personal data, `idsPerRead` to a
   * GET); elsewhere they are 0.
   */
  readonly minimum: { readonly reads: number; readonly byId: number; readonly writes: number; readonly requests: number };
  /** The minimum without the narrowed feed's reads by id (pages + batches), as this benchmark first counted it. */
  readonly plainMinimum: number;
  /** requests / minimum.requests */
  readonly ratio: number;
  /**
   * The minimum if the feed's own echoes count as records to read (neither feed can leave out
   * the reader's own writes): ⌈records read / page size⌉ + the same writes.
   */
  readonly feedMinimum: number;
  /** The baseline reads the same pages, then one lookup and one write per changed record. */
  readonly baselineRequests: number;
}

export interface ScenarioFigures {
  readonly name: ScenarioName;
  readonly perSide: number;
  readonly seeded: ScenarioRaw["seeded"];
  readonly edits?: ScenarioRaw["edits"];
  readonly status: string;
  readonly runs: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMB: number;
  readonly standInsMaxRssMB: number;
  readonly standInsCpuS: number;
  readonly tableOps: TableOps;
  /** Requests to the identity provider, which is neither system: token, OpenID metadata, Key Vault. */
  readonly entraId: { readonly token: number; readonly metadata: number; readonly keyvault: number };
  readonly dataverse: SideFigures;
  readonly meander: SideFigures;
  readonly baseline: { readonly wallS: number; readonly sampleWallS: number; readonly throttleFloorS: number; readonly speedup: number };
  readonly conflicts: ScenarioRaw["run"]["conflicts"];
  readonly errorCount: number;
  readonly errorCodes: readonly string[];
  readonly notes: readonly string[];
  readonly warnings: Readonly<Record<string, number>>;
  readonly busyS: Readonly<Record<string, number>>;
  readonly privacy: ScenarioRaw["run"]["privacy"];
  readonly hlf?: ScenarioRaw["hlf"];
}

export interface Target {
  readonly scenario: ScenarioName;
  readonly goal: string;
  readonly measured: string;
  readonly ok: boolean;
  /** The scenario's run stopped at its time budget: a figure that needs the whole run is not judged. */
  readonly notJudged?: true;
}

const pages = (records: number, size: number) => Math.max(1, Math.ceil(records / size));

function side(raw: ScenarioRaw, which: "dataverse" | "meander", baseline: BaselineSide): SideFigures {
  const counts = raw.run.counts[which === "dataverse" ? "portal" : "meander"];
  const sizes = SIZES[which === "dataverse" ? "portal" : "meander"];
  const changes = changesOf(counts);
  const sourceChanges = raw.sourceChanges[which === "dataverse" ? "portal" : "meander"];
  const { reads, byId } = minimumReads(raw, which, sourceChanges);
  const minimum = { reads, byId, writes: Math.ceil(changes / sizes.batchSize) };
  let requests: number;
  let byKind: Record<string, number>;
  let sim: { recordsWritten: number; noopWrites: number; throttled: number; retryAfterViolations: number };
  if (which === "dataverse") {
    const c = raw.sims.dataverse;
    sim = c;
    // The schema check reads the table definitions once per process, before its first write: not a cost of a run.
    requests = c.requests - c.byKind.token - c.byKind.metadata - c.byKind.keyvault - c.byKind.schema;
    const { token: _t, metadata: _m, keyvault: _k, ...webApi } = c.byKind;
    byKind = { ...webApi, operationsInBatches: c.batchOperations };
  } else {
    const c = raw.sims.meander;
    sim = c;
    requests = c.requests;
    byKind = { ...c.byKind };
  }
  const minRequests = minimum.reads + minimum.byId + minimum.writes;
  return {
    requests,
    byKind,
    read: counts.read,
    sourceChanges,
    unchanged: counts.unchanged,
    changes,
    written: sim.recordsWritten,
    noopWrites: sim.noopWrites,
    throttled: sim.throttled,
    retryAfterViolations: sim.retryAfterViolations,
    minimum: { ...minimum, requests: minRequests },
    plainMinimum: minimum.reads + minimum.writes,
    ratio: requests / Math.max(minRequests, 1),
    feedMinimum: pages(counts.read, sizes.pageSize) + minimum.writes,
    baselineRequests: minimum.reads + Math.round(changes * baseline.requestsPerRecord),
  };
}

/**
 * Feed pages and reads by id a side cannot do without. The activities config writes the
 * portal and never reads it. HLF's contact feed is narrowed: every changed contact comes in
 * it (ordinary members too, change tracking cannot filter), and the in-scope changes, and only
 * they, are then read by id with their mapped columns (deletions come as tombstones).
 */
function minimumReads(raw: ScenarioRaw, which: "dataverse" | "meander", sourceChanges: number): { reads: number; byId: number } {
  const sizes = SIZES[which === "dataverse" ? "portal" : "meander"];
  if (which === "dataverse" && isActivities(raw.name)) return { reads: 0, byId: 0 };
  if (which !== "dataverse" || !raw.hlf) return { reads: pages(sourceChanges, sizes.pageSize), byId: 0 };
  const inScope = raw.name === "hlf-first" ? raw.hlf.portalLikepersons : raw.edits ? raw.edits.portalEdited + raw.edits.bothEdited : 0;
  return { reads: pages(sourceChanges + (raw.edits?.membersEdited ?? 0), sizes.pageSize), byId: Math.ceil(inScope / idsPerRead()) };
}

export function scenarioFigures(raw: ScenarioRaw, baseline: BaselineMeasurement, plan: BenchPlan): ScenarioFigures {
  const dataverse = side(raw, "dataverse", baseline.portal);
  const meander = side(raw, "meander", baseline.meander);
  const sampleWallMs = dataverse.changes * baseline.portal.msPerRecord + meander.changes * baseline.meander.msPerRecord;
  // A sequential script cannot beat the service protection limits either: past one window's
  // worth of requests it waits for the next window.
  const limits = plan.costs.dataverseLimits;
  const throttleFloorMs = limits ? Math.max(0, Math.ceil(dataverse.baselineRequests / limits.requestsPerWindow) - 1) * limits.windowMs : 0;
  const baselineMs = Math.max(sampleWallMs, throttleFloorMs);
  const c = raw.sims.dataverse.byKind;
  return {
    name: raw.name,
    perSide: raw.perSide,
    seeded: raw.seeded,
    ...(raw.edits ? { edits: raw.edits } : {}),
    status: raw.run.status,
    runs: raw.runs,
    wallS: raw.run.wallMs / 1000,
    cpuS: raw.run.cpuMs / 1000,
    maxRssMB: raw.run.maxRssMB,
    standInsMaxRssMB: raw.standInsMaxRssMB,
    standInsCpuS: raw.standInsCpuMs / 1000,
    tableOps: raw.run.tableOps,
    entraId: { token: c.token, metadata: c.metadata, keyvault: c.keyvault },
    dataverse,
    meander,
    baseline: {
      wallS: baselineMs / 1000,
      sampleWallS: sampleWallMs / 1000,
      throttleFloorS: throttleFloorMs / 1000,
      speedup: baselineMs / Math.max(raw.run.wallMs, 1),
    },
    conflicts: raw.run.conflicts,
    errorCount: raw.run.errorCount,
    errorCodes: raw.run.errorCodes,
    notes: raw.run.notes,
    warnings: raw.run.warnings,
    busyS: Object.fromEntries(Object.entries(raw.run.busyMs).map(([k, v]) => [k, v / 1000])),
    privacy: raw.run.privacy,
    ...(raw.hlf ? { hlf: raw.hlf } : {}),
  };
}

/** Bound on a busy run's requests to one side: the 1.1 × the minimum. */
export const requestBound = (s: SideFigures) => 1.1 * s.minimum.requests;

export function targets(figures: readonly ScenarioFigures[]): Target[] {
  const out: Target[] = [];
  for (const f of figures) {
    const whole = f.status !== "incomplete";
    const add = (scenario: ScenarioName, goal: string, measured: string, ok: boolean, needsWholeRun = true) =>
      out.push(
        whole || !needsWholeRun ? { scenario, goal, measured, ok } : { scenario, goal, measured: `${measured}, partial run`, ok: false, notJudged: true },
      );
    const { dataverse: dv, meander: m } = f;
    if (f.name === "idle" || f.name === "idle-again") {
      add(
        f.name,
        "≤ 2 requests to each side (one page, at most one token)",
        `Dataverse ${dv.requests} + Meander ${m.requests}, tokens ${f.entraId.token} (both scopes)`,
        dv.requests <= 1 && m.requests <= 1 && f.entraId.token <= 2,
      );
      add(f.name, "≤ 5 Table Storage operations", String(f.tableOps.total), f.tableOps.total <= 5);
      add(f.name, "wall < 1 s", `${f.wallS.toFixed(2)} s`, f.wallS < 1);
    }
    if (f.name === "initial" || f.name === "incremental" || f.name === "scale") {
      for (const [label, s] of [
        ["Dataverse", dv],
        ["Meander", m],
      ] as const) {
        add(f.name, `${label} requests ≤ 1.1 × minimum (${s.minimum.requests})`, `${s.requests} (${s.ratio.toFixed(2)}×)`, s.requests <= requestBound(s));
      }
      add(f.name, "zero writes that change nothing", `Dataverse ${dv.noopWrites}, Meander ${m.noopWrites}`, dv.noopWrites + m.noopWrites === 0);
      add(
        f.name,
        "zero retry-after violations",
        `Dataverse ${dv.retryAfterViolations}, Meander ${m.retryAfterViolations}`,
        dv.retryAfterViolations + m.retryAfterViolations === 0,
      );
    }
    if (f.name === "initial") {
      add(
        f.name,
        "≥ 20× faster than record-at-a-time",
        `${f.baseline.speedup.toFixed(0)}× (baseline ${f.baseline.wallS.toFixed(0)} s, extrapolated)`,
        f.baseline.speedup >= 20,
      );
      add(f.name, "wall < 60 s", `${f.wallS.toFixed(1)} s`, f.wallS < 60);
    }
    if (f.hlf) {
      const p = f.privacy;
      add(
        f.name,
        "0 personal-data cells at rest in Table Storage (outside open review items)",
        `${p.personalCellsAtRest} (open review items: ${p.personalCellsInOpenReviews})`,
        p.personalCellsAtRest === 0,
      );
    }
    if (f.name === "hlf-first" && f.hlf) {
      const bound = 1.2 * f.hlf.portalLikepersons * PERSONAL_PORTAL_COLUMNS.length;
      add(
        f.name,
        `portal personal-data cells read ≤ 1.2 × ${f.hlf.portalLikepersons} likepersons × ${PERSONAL_PORTAL_COLUMNS.length} columns (${bound})`,
        `${f.privacy.portalPersonalCellsRead} (${f.privacy.portalRowsRead} rows read)`,
        f.privacy.portalPersonalCellsRead <= bound,
      );
      add(f.name, "peak RSS < 256 MB", `${f.maxRssMB.toFixed(0)} MB`, f.maxRssMB < 256, f.maxRssMB < 256);
    }
    if (f.name === "hlf-incremental") {
      const { reads, byId, writes } = dv.minimum;
      add(
        f.name,
        `Dataverse requests ≤ 1.2 × minimum for the in-scope changes (${dv.minimum.requests}: ${reads} page + ${byId} by id + ${writes} batch), ${f.edits?.membersEdited ?? 0} members changed too`,
        `${dv.requests} (${dv.ratio.toFixed(2)}×; ${(dv.requests / Math.max(dv.plainMinimum, 1)).toFixed(2)}× the ${dv.plainMinimum} of pages and batches alone)`,
        dv.requests <= 1.2 * dv.minimum.requests,
      );
    }
    if (f.name === "hlf-idle" || f.name === "hlf-activities-idle") {
      // The activities config never reads the portal: 0 requests there.
      add(f.name, "1 request per side", `Dataverse ${dv.requests} + Meander ${m.requests}`, dv.requests <= 1 && m.requests <= 1);
      add(f.name, "≤ 5 Table Storage operations", String(f.tableOps.total), f.tableOps.total <= 5);
    }
    if (f.name === "scale") {
      const initial = figures.find((x) => x.name === "initial");
      // A partial run that is already over the bound has missed it.
      add(f.name, "peak RSS < 512 MB", `${f.maxRssMB.toFixed(0)} MB`, f.maxRssMB < 512, f.maxRssMB < 512);
      if (initial) {
        const growth = f.maxRssMB / initial.maxRssMB;
        const linear = f.perSide / initial.perSide;
        add(
          f.name,
          `peak RSS grows less than linearly (< ${linear}× for ${linear}× the people)`,
          `${growth.toFixed(2)}× (${initial.maxRssMB.toFixed(0)} → ${f.maxRssMB.toFixed(0)} MB)`,
          growth < linear,
        );
      }
    }
  }
  return out;
}

export function allFigures(raw: SuiteRaw, plan: BenchPlan): { scenarios: ScenarioFigures[]; targets: Target[] } {
  const scenarios = raw.scenarios.map((s) => scenarioFigures(s, raw.baseline, plan));
  return { scenarios, targets: targets(scenarios) };
}
