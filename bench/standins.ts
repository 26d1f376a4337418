/**
 * Child process entry: `node dist/bench/standins.js '<options JSON>'`. Hosts the simulators
 * for the benchmark and answers the orchestrator's calls over the IPC channel.
 */
import { hostStandIns, type StandInsControl, type StandInsOptions } from "./standInsHost.js";

type Method = Exclude<keyof StandInsControl, "info">;

const control = await hostStandIns(JSON.parse(process.argv[2] ?? "{}") as StandInsOptions);
process.send?.({ kind: "ready", info: control.info });
process.on("message", (message: { id: number; method: Method; args: unknown[] }) => {
  const call = control[message.method] as (...args: unknown[]) => Promise<unknown>;
  call(...message.args).then(
    (value) => {
      process.send?.({ id: message.id, value: value ?? null }, undefined, {}, () => {
        if (message.method === "close") process.exit(0);
      });
    },
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
