/**
 * The systems the service talks to, as one controllable unit: the Dataverse and Meander
 * simulators seeded with generated data and charging the benchmark's costs. `npm run bench`
 * runs this in its own process (bench/standins.ts), so that neither the simulators' memory
 * nor the data generator's counts against the service under measurement; the test in
 * `npm test` uses it in process.
 */
import { generateDataset } from "../sim/data/generator.js";
import { type HlfShape, hlfDataset } from "../sim/data/hlf.js";
import type { DataverseCounters } from "../sim/dataverse/index.js";
import type { MeanderSimCounters } from "../sim/meander/index.js";
import { startStandIns } from "../sim/stack.js";
import { applyEdits, type EditSummary, editMembers } from "./edits.js";
import { type Costs, dataset } from "./params.js";

export interface StandInsOptions {
  readonly perSide: number;
  readonly costs: Costs;
  readonly seed?: number;
  /** HLF's shape instead of `perSide` people on each side (sim/data/hlf.ts). */
  readonly hlf?: HlfShape;
}

export interface StandInsInfo {
  /** App settings pointing at the simulators (the caller adds Table Storage). */
  readonly settings: Record<string, string>;
  /** PEM file a client process must trust (NODE_EXTRA_CA_CERTS). */
  readonly certPath: string;
  /** Records seeded per side (likepersons in Meander, contacts in the portal), and Meander's activity reports. */
  readonly seeded: { readonly meander: number; readonly portal: number; readonly activities: number };
  readonly generateMs: number;
}

export interface SimCounters {
  readonly dataverse: DataverseCounters;
  readonly meander: MeanderSimCounters;
}

/** The same calls in process and across the IPC channel. */
export interface StandInsControl {
  readonly info: StandInsInfo;
  counters(): Promise<SimCounters>;
  resetCounters(): Promise<void>;
  edit(seed: number): Promise<EditSummary>;
  /** Peak resident memory and CPU time so far of the process hosting the simulators. */
  usage(): Promise<{ maxRssMB: number; cpuMs: number }>;
  close(): Promise<void>;
}

export async function hostStandIns(options: StandInsOptions): Promise<StandInsControl> {
  const { costs } = options;
  const standIns = await startStandIns({
    dataverse: { latencyMs: costs.dataverseLatencyMs, perRecordMs: costs.dataversePerRecordMs, limits: costs.dataverseLimits },
    meander: { latencyMs: costs.meanderLatencyMs, limits: false },
  });
  const started = performance.now();
  // Seeded here rather than through startStandIns, which keeps the whole data set alive.
  let data: ReturnType<typeof generateDataset> | undefined = generateDataset(options.hlf ? hlfDataset(options.hlf) : dataset(options.perSide, options.seed));
  const generateMs = performance.now() - started;
  standIns.dataverse.store.seed("contacts", data.portal.contacts);
  standIns.meander.store.seed("likepersons", data.meander.likepersons);
  if (data.meander.activities.length) standIns.meander.store.seed("activities", data.meander.activities);
  const seeded = { meander: data.meander.likepersons.length, portal: data.portal.contacts.length, activities: data.meander.activities.length };
  data = undefined;

  return {
    info: { settings: standIns.settings, certPath: standIns.certPath, seeded, generateMs },
    counters: async () => ({ dataverse: standIns.dataverse.counters(), meander: standIns.meander.counters() }),
    resetCounters: async () => {
      standIns.dataverse.resetCounters();
      standIns.meander.resetCounters();
    },
    edit: async (seed) => {
      const edits = applyEdits(standIns.dataverse, standIns.meander, seed);
      return options.hlf ? { ...edits, ...editMembers(standIns.dataverse, standIns.meander, seed) } : edits;
    },
    usage: async () => {
      const { user, system } = process.cpuUsage();
      return { maxRssMB: process.resourceUsage().maxRSS / 1024, cpuMs: (user + system) / 1000 };
    },
    close: () => standIns.close(),
  };
}
