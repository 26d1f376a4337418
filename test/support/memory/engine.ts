/**
 * The real engine (runSync over the repo's configs) on in-memory ports: both systems, the
 * state, run and lock stores. Runs take milliseconds; whole-stack stories stay in test/sync.
 */
import { loadCompiledConfigs } from "../../../shared/config/syncConfig.js";
import type { CompiledConfig } from "../../../shared/core/compile.js";
import { createFingerprinter } from "../../../shared/core/fingerprint.js";
import { createJsonLogger } from "../../../shared/logging.js";
import type { Clock } from "../../../shared/ports.js";
import type { RunOptions } from "../../../shared/service.js";
import type { EngineDeps, EngineSettings } from "../../../shared/sync/deps.js";
import { runSync } from "../../../shared/sync/engine.js";
import { TWO_WAY_DIR } from "../../core/fixtures.js";
import { MemorySide } from "./recordSide.js";
import { MemoryLockStore, MemoryRunStore, MemoryStateStore } from "./stores.js";

const FINGERPRINT = createFingerprinter("memory-engine-baseline-key-0123456789abcdef");

export const SETTINGS: EngineSettings = {
  timeBudgetMs: 600_000,
  httpTimeBudgetMs: 600_000,
  pageSize: 100,
  leaseMs: 60_000,
  ledgerMaxAttempts: 5,
  retentionDays: 30,
};

/** A clock tests move by hand (lease expiry); it also ticks 1 ms per reading so that timestamps order. */
export function testClock(start = Date.parse("2026-03-01T08:00:00Z")): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => new Date(now++),
    advance(ms) {
      now += ms;
    },
  };
}

type Overrides = Partial<Pick<EngineDeps, "pause" | "settings">> & {
  /**
   * True once this engine's process is dead (a crash): from then on no call of its ports or pause
   * hook returns, and none that starts reaches the ports, as if the process were gone. A run
   * goes on behind a pause that never returns (its saves go on behind the next unit, saving.ts):
   * without this, a run "killed" at a pause inside a save would keep reading, writing and
   * renewing its lease.
   */
  readonly dead?: () => boolean;
};

const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** `target` whose calls hang once `dead()`: the ones not yet started, and the answers of the ones under way. */
function gated<T extends object>(target: T, dead: () => boolean): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (dead()) return never();
        const result = value.apply(obj, args);
        if (result instanceof Promise) return result.then((v) => (dead() ? never() : v));
        if (result && typeof result === "object" && Symbol.asyncIterator in result) {
          const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
          return {
            [Symbol.asyncIterator]: () => ({
              next: () => (dead() ? never() : iterator.next().then((v) => (dead() ? never() : v))),
              return: (v?: unknown) => iterator.return?.(v) ?? Promise.resolve({ done: true, value: v }),
            }),
          };
        }
        return result;
      };
    },
  });
}

export interface MemoryEngine {
  readonly deps: EngineDeps;
  readonly meander: MemorySide;
  readonly portal: MemorySide;
  readonly state: MemoryStateStore;
  readonly runs: MemoryRunStore;
  readonly locks: MemoryLockStore;
  readonly clock: ReturnType<typeof testClock>;
  readonly logs: string[];
  run(configId?: string, options?: Partial<RunOptions>): ReturnType<typeof runSync>;
  /** The engine with other hooks on the same ports and state (another process, a crash hook, a process that dies). */
  with(overrides: Overrides): MemoryEngine;
}

export function memoryEngine(
  overrides: Overrides = {},
  // The generic two-way mapping by default (test/configs/two-way); HLF's configs are passed where a test is about them.
  configs: ReadonlyMap<string, CompiledConfig> = loadCompiledConfigs(TWO_WAY_DIR),
): MemoryEngine {
  const clock = testClock();
  const meander = new MemorySide({ side: "meander", now: clock.now });
  const portal = new MemorySide({ side: "portal", idField: "contactid", now: clock.now });
  const state = new MemoryStateStore();
  const runs = new MemoryRunStore();
  const locks = new MemoryLockStore(clock);
  const logs: string[] = [];
  const build = (o: Overrides): MemoryEngine => {
    const dead = o.dead;
    const port = <T extends object>(target: T): T => (dead ? gated(target, dead) : target);
    const pause = o.pause && dead ? async (point: string) => (dead() ? never<void>() : await o.pause?.(point)) : o.pause;
    const deps: EngineDeps = {
      configs,
      sides: { meander: port(meander), portal: port(portal) },
      state: port(state),
      runs: port(runs),
      locks: port(locks),
      clock,
      logger: createJsonLogger((_level, line) => logs.push(line)),
      settings: o.settings ?? SETTINGS,
      // As in production: links keep fingerprints of their baselines, never the values.
      baselineFingerprint: FINGERPRINT,
      ...(pause ? { pause } : {}),
    };
    return {
      deps,
      meander,
      portal,
      state,
      runs,
      locks,
      clock,
      logs,
      run: (configId = "likepersons", options = {}) => runSync(deps, configId, { trigger: "timer", ...options }),
      with: (more) => build({ ...o, ...more }),
    };
  };
  return build(overrides);
}
