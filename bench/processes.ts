/**
 * The benchmark's processes: the stand-ins in one child (bench/standins.js), each measured
 * run in a fresh child (bench/scenario.js <name>), so that the peak RSS a run reports is
 * its own and not the simulators', the data generator's or an earlier run's. Azurite is a
 * child process of its own anyway (sim/azurite.ts).
 */
import { type ChildProcess, fork } from "node:child_process";
import { type BaselineMeasurement, measureBaseline } from "./baseline.js";
import { measureRun, type RunMeasurement } from "./measure.js";
import { workerNodeFlags } from "./nodeFlags.js";
import type { Costs } from "./params.js";
import { hostStandIns, type StandInsControl, type StandInsInfo, type StandInsOptions } from "./standInsHost.js";

export interface Runner {
  standIns(options: StandInsOptions): Promise<StandInsControl>;
  run(scenario: string, env: Record<string, string>): Promise<RunMeasurement>;
  baseline(sample: number, costs: Costs, certPath: string): Promise<BaselineMeasurement>;
}

/**
 * Everything in the calling process: for the small benchmark in `npm test`, whose figures
 * are checked for sanity, not for memory (peak RSS is then the test worker's).
 */
export const inProcessRunner: Runner = {
  standIns: (options) => hostStandIns(options),
  run: (_scenario, env) => measureRun(env),
  baseline: (sample, costs) => measureBaseline(sample, costs),
};

type Reply = { kind: "ready"; info: StandInsInfo } | { id: number; value?: unknown; error?: string };

const script = (name: string) => new URL(`./${name}.js`, import.meta.url);

export const childRunner: Runner = {
  async standIns(options) {
    const child = fork(script("standins"), [JSON.stringify(options)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    let nextId = 0;
    const info = await new Promise<StandInsInfo>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the stand-ins process exited with code ${code} before it was ready`)));
      child.on("message", (message: Reply) => {
        if ("kind" in message) return resolve(message.info);
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.value);
      });
    });
    child.removeAllListeners("exit");
    child.on("exit", (code) => {
      for (const waiter of pending.values()) waiter.reject(new Error(`the stand-ins process exited with code ${code}`));
      pending.clear();
    });
    const call = <T>(method: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, method, args });
      });
    return {
      info,
      counters: () => call("counters"),
      resetCounters: () => call("resetCounters"),
      edit: (seed) => call("edit", seed),
      usage: () => call("usage"),
      close: async () => {
        await call("close");
        await exited(child);
      },
    };
  },

  run: (scenario, env) => runChild<RunMeasurement>(scenario, env),

  baseline: (sample, costs, certPath) =>
    runChild<BaselineMeasurement>("baseline", {}, certPath, { BENCH_SAMPLE: String(sample), BENCH_COSTS: JSON.stringify(costs) }),
};

/** One measured run in a fresh process; it trusts the simulators' certificate from the start. */
async function runChild<T>(
  name: string,
  settings: Record<string, string>,
  certPath = settings.NODE_EXTRA_CA_CERTS,
  extra: Record<string, string> = {},
): Promise<T> {
  const child = fork(script("scenario"), [name], {
    // Azure's worker flags, then BENCH_NODE_ARGS: more flags for the measured run only, e.g.
    // "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where its time goes.
    execArgv: [...workerNodeFlags(), ...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean)],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...(certPath ? { NODE_EXTRA_CA_CERTS: certPath } : {}), BENCH_SETTINGS: JSON.stringify(settings), ...extra },
  });
  let value: T | undefined;
  child.on("message", (message: { value?: T; error?: string }) => {
    if (message.error !== undefined) child.emit("error", new Error(`scenario ${name}: ${message.error}`));
    else value = message.value;
  });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 && value !== undefined ? resolve() : reject(new Error(`scenario ${name} exited with code ${code}`))));
  });
  return value as T;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}
