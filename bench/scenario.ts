/**
 * Child process entry: `node dist/bench/scenario.js <name>` measures one run of the real
 * service against the settings in BENCH_SETTINGS, and `baseline` the record-at-a-time
 * script; the figures go back to the orchestrator over the IPC channel.
 */
import { measureBaseline } from "./baseline.js";
import { measureRun } from "./measure.js";

const name = process.argv[2] ?? "";
// Exit once the figures are out: keep-alive sockets and timers would hold the process open.
const finish = (message: object, code: number) => (process.send ? process.send(message, undefined, {}, () => process.exit(code)) : process.exit(code));
try {
  const value =
    name === "baseline"
      ? await measureBaseline(Number(process.env.BENCH_SAMPLE), JSON.parse(process.env.BENCH_COSTS ?? "{}"))
      : await measureRun(JSON.parse(process.env.BENCH_SETTINGS ?? "{}"), (line) => process.stderr.write(`[${name}] ${line}\n`));
  finish({ value }, 0);
} catch (error) {
  finish({ error: error instanceof Error ? error.message : String(error) }, 1);
}
