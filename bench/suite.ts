/**
 * The benchmark's sequence: a 50,000-per-side data set synced from scratch (initial), then
 * after edits (incremental), then with nothing changed (idle); a 200,000-per-side data set
 * synced from scratch (scale); and the record-at-a-time baseline on a sample. Each data set
 * gets fresh simulators and a fresh Table Storage, so nothing carries over between them.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { appRoot } from "../shared/config/settings.js";
import type { HlfShape } from "../sim/data/hlf.js";
import { ensureLocalCertificate } from "../sim/tls.js";
import type { BaselineMeasurement } from "./baseline.js";
import type { EditSummary } from "./edits.js";
import { BENCH_CONFIG_SETTING, combine, type RunMeasurement } from "./measure.js";
import { type BenchPlan, configOf, isActivities, type ScenarioName } from "./params.js";
import type { Runner } from "./processes.js";
import type { SimCounters } from "./standInsHost.js";

export interface ScenarioRaw {
  readonly name: ScenarioName;
  readonly perSide: number;
  /** The hlf scenarios' data shape. */
  readonly hlf?: HlfShape;
  readonly seeded: { readonly meander: number; readonly portal: number };
  readonly edits?: EditSummary;
  /** Records users created, changed or deleted on each side since the last run: what the feeds must deliver. */
  readonly sourceChanges: { readonly meander: number; readonly portal: number };
  /** Timer runs the scenario took: more than one when a run reached its time budget. */
  readonly runs: number;
  readonly run: RunMeasurement;
  /** What the simulators saw during the run (counters reset just before it). */
  readonly sims: SimCounters;
  /** Peak RSS of the stand-ins process (simulators and data generator), not part of the run's. */
  readonly standInsMaxRssMB: number;
  /** CPU time the simulators spent serving the scenario: a check that they were not the bottleneck. */
  readonly standInsCpuMs: number;
}

export interface SuiteRaw {
  readonly scenarios: ScenarioRaw[];
  readonly baseline: BaselineMeasurement;
}

export interface TableStorage {
  readonly connectionString: string;
  stop(): Promise<void>;
}

export interface SuiteOptions {
  readonly plan: BenchPlan;
  readonly runner: Runner;
  /** A fresh Table Storage for a data set (the orchestrator starts an in-memory Azurite). */
  readonly tables: () => Promise<TableStorage>;
  readonly log?: (line: string) => void;
}

/** The generic two-way likeperson mapping, which the engine's own tests run too. */
const TWO_WAY_CONFIG_DIR = join(appRoot(), "test", "configs", "two-way");

const EDIT_SEED = 7_000_007;
const MAX_RUNS = 10;

export async function runSuite(options: SuiteOptions): Promise<SuiteRaw> {
  const { plan, runner } = options;
  const log = options.log ?? (() => {});
  const scenarios: ScenarioRaw[] = [];
  let certPath = "";
  const dataSets: { perSide: number; names: ScenarioName[]; hlf?: HlfShape }[] = [];
  if (plan.perSide > 0) dataSets.push({ perSide: plan.perSide, names: ["initial", "incremental", "idle", "idle-again"] });
  if (plan.scalePerSide > 0) dataSets.push({ perSide: plan.scalePerSide, names: ["scale"] });
  if (plan.hlf) {
    const names: ScenarioName[] = ["hlf-first", "hlf-activities-first", "hlf-incremental", "hlf-activities-incremental", "hlf-idle", "hlf-activities-idle"];
    dataSets.push({ perSide: plan.hlf.portalLikepersons, names: plan.hlfActivities === false ? names.filter((n) => !isActivities(n)) : names, hlf: plan.hlf });
  }

  for (const { perSide, names, hlf } of dataSets) {
    log(
      hlf
        ? `generating HLF's shape (${hlf.contacts} contacts) and starting the simulators`
        : `generating ${perSide} people per side and starting the simulators`,
    );
    const tables = await options.tables();
    const sims = await runner.standIns({ perSide, costs: plan.costs, ...(hlf ? { hlf } : {}) });
    certPath = sims.info.certPath;
    try {
      const env: Record<string, string> = {
        ...sims.info.settings,
        AzureWebJobsStorage: tables.connectionString,
        SYNC_TABLE_PREFIX: `b${randomBytes(4).toString("hex")}`,
        // The longest budget the settings allow: the benchmark measures a run, not the budget.
        SYNC_TIME_BUDGET_SECONDS: "580",
        NODE_EXTRA_CA_CERTS: sims.info.certPath,
        // The throughput data sets are generic people on both sides, edited on `newest` and `manual`
        // fields and created across when one-sided: the two-way mapping's work. HLF's own rules
        // (the portal masters member data, no contact is created from Meander) run on HLF's shape.
        ...(hlf ? {} : { SYNC_CONFIG_DIR: TWO_WAY_CONFIG_DIR }),
      };
      let lastEdits: EditSummary | undefined;
      for (const name of names) {
        const edits = name === "incremental" || name === "hlf-incremental" ? await sims.edit(EDIT_SEED) : undefined;
        await sims.resetCounters();
        const before = await sims.usage();
        log(`${name}: running`);
        const runEnv = { ...env, [BENCH_CONFIG_SETTING]: configOf(name) };
        let run = await runner.run(name, runEnv);
        let runs = 1;
        // A run that reaches its time budget stops cleanly and the next timer run goes on:
        // so does the benchmark, and the scenario's figures are those of all its runs.
        while (run.status === "incomplete" && runs < (plan.maxRuns ?? MAX_RUNS)) {
          log(`${name}: run ${runs} stopped at the time budget; the next run continues`);
          run = combine(run, await runner.run(name, runEnv));
          runs += 1;
        }
        const counters = await sims.counters();
        const after = await sims.usage();
        log(`${name}: ${run.status} in ${(run.wallMs / 1000).toFixed(1)} s`);
        if (edits) lastEdits = edits;
        const sourceChanges = isActivities(name)
          ? // The activity config reads Meander's reports only; the portal's side of it is written, never read.
            {
              meander:
                name === "hlf-activities-first" ? sims.info.seeded.activities : name === "hlf-activities-incremental" ? (lastEdits?.activitiesAdded ?? 0) : 0,
              portal: 0,
            }
          : edits
            ? { meander: edits.meanderEdited + edits.bothEdited + edits.meanderDeleted, portal: edits.portalEdited + edits.bothEdited + edits.portalDeleted }
            : name === "idle" || name === "idle-again" || name === "hlf-idle"
              ? { meander: 0, portal: 0 }
              : { meander: sims.info.seeded.meander, portal: sims.info.seeded.portal };
        scenarios.push({
          name,
          perSide,
          ...(hlf ? { hlf } : {}),
          seeded: { meander: sims.info.seeded.meander, portal: sims.info.seeded.portal },
          ...(edits ? { edits } : isActivities(name) && name !== "hlf-activities-first" && lastEdits ? { edits: lastEdits } : {}),
          sourceChanges,
          runs,
          run,
          sims: counters,
          standInsMaxRssMB: after.maxRssMB,
          standInsCpuMs: after.cpuMs - before.cpuMs,
        });
      }
    } finally {
      await sims.close();
      await tables.stop();
    }
  }
  log(`record-at-a-time baseline: ${plan.baselineSample} records per side`);
  // With no data set measured (results merged from earlier runs), the certificate is still the stand-ins' default one.
  certPath ||= ensureLocalCertificate(join(appRoot(), ".local", "tls")).certPath;
  const baseline = await runner.baseline(plan.baselineSample, plan.costs, certPath);
  return { scenarios, baseline };
}
