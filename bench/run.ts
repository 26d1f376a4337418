/**
 * `npm run bench`: the real service against the simulators and an in-memory Azurite, with
 * Dataverse's and Meander's costs switched on (issue 7). Prints the table and writes
 * bench/results.json.
 *
 *   node dist/bench/run.js [--quick] [--per-side 50000] [--scale 200000] [--hlf 70000] [--sample 200] [--out bench/results.json]
 *                          [--merge earlier-results.json ...] [--max-runs 10] [--likepersons-only]
 *
 * `--quick`: the same scenarios on smaller sets (QUICK_PLAN in params.ts); `--hlf 0` skips the
 * hlf scenario, another number scales HLF's shape to that many contacts; `--likepersons-only`
 * leaves out the hlf scenarios' activities runs.
 *
 * `--per-side 0` skips the 50,000 data set, `--scale 0` the 200,000 one; `--max-runs 1` reports a scenario's first run even when it stopped at its time budget; `--merge` adds the
 * scenarios of earlier results files that this run did not measure (a long run in parts; the
 * first file naming a scenario wins).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { appRoot } from "../shared/config/settings.js";
import { startAzurite } from "../sim/azurite.js";
import { HLF, hlfDataset } from "../sim/data/hlf.js";
import { allFigures, targets as judge, type ScenarioFigures } from "./figures.js";
import { type BenchPlan, dataset, EDIT_SHARES, FULL_PLAN, QUICK_PLAN, SCENARIOS, SIZES } from "./params.js";
import { childRunner } from "./processes.js";
import { renderReport } from "./report.js";
import { runSuite } from "./suite.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "per-side": { type: "string" },
    scale: { type: "string" },
    hlf: { type: "string" },
    sample: { type: "string" },
    out: { type: "string", default: join(appRoot(), "bench", "results.json") },
    merge: { type: "string", multiple: true },
    "max-runs": { type: "string", default: "10" },
    "likepersons-only": { type: "boolean", default: false },
  },
});
const base = values.quick ? QUICK_PLAN : FULL_PLAN;
const hlfContacts = values.hlf === undefined ? base.hlf?.contacts : Number(values.hlf);
const plan: BenchPlan = {
  ...base,
  perSide: Number(values["per-side"] ?? base.perSide),
  scalePerSide: Number(values.scale ?? base.scalePerSide),
  baselineSample: Number(values.sample ?? base.baselineSample),
  maxRuns: Number(values["max-runs"]),
  hlf: hlfContacts ? scaleHlf(hlfContacts) : undefined,
  ...(values["likepersons-only"] ? { hlfActivities: false } : {}),
};

/** HLF's shape at another size: likepersons and reports in the same proportion to the contacts. */
function scaleHlf(contacts: number) {
  const shape = base.hlf ?? HLF;
  const f = contacts / shape.contacts;
  const round = (v: number) => Math.max(1, Math.round(v * f));
  return {
    contacts,
    portalLikepersons: round(shape.portalLikepersons),
    meanderLikepersons: round(shape.meanderLikepersons),
    overlapping: round(shape.overlapping),
    activities: round(shape.activities),
  };
}

const started = Date.now();
const raw = await runSuite({
  plan,
  runner: childRunner,
  tables: () => startAzurite(),
  log: (line) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
});
const measured = allFigures(raw, plan).scenarios;
const merged = (values.merge ?? []).map((file) => ({
  file,
  ...(JSON.parse(readFileSync(file, "utf8")) as { commit: string; generatedAt: string; scenarios: ScenarioFigures[] }),
}));
const earlier = merged.flatMap((m) => m.scenarios);
const scenarios = SCENARIOS.flatMap((name) => [...measured, ...earlier].find((s) => s.name === name) ?? []);
const targets = judge(scenarios);
console.log(renderReport(scenarios, targets, raw.baseline));

const results = {
  generatedAt: new Date().toISOString(),
  // BENCH_COMMIT: for a measurement made from an exported tree (git archive), which has no .git.
  commit: process.env.BENCH_COMMIT ?? git(["rev-parse", "HEAD"]),
  workingTreeClean: process.env.BENCH_COMMIT ? true : git(["status", "--porcelain", "--", "shared", "bench", "sim"]) === "",
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? "unknown",
  parameters: {
    plan,
    datasets: Object.fromEntries([...new Set(scenarios.filter((f) => !f.hlf).map((f) => f.perSide))].map((perSide) => [perSide, dataset(perSide)])),
    ...(plan.hlf ? { hlf: { shape: plan.hlf, dataset: hlfDataset(plan.hlf) } } : {}),
    editShares: EDIT_SHARES,
    sizes: SIZES,
    trigger: "timer",
    processes: "service run in a fresh child per scenario; simulators (and the data generator) in another child; Azurite in its own",
  },
  scenarios,
  baseline: raw.baseline,
  // Scenarios measured by earlier runs, with the commit each was measured at.
  ...(merged.length > 0
    ? { mergedFrom: merged.map((m) => ({ file: m.file, commit: m.commit, generatedAt: m.generatedAt, scenarios: m.scenarios.map((f) => f.name) })) }
    : {}),
  targets,
};
writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
console.error(`results written to ${values.out}`);

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: appRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}
