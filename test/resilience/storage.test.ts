/**
 * Storage faults during whole runs: the Azurite process stopped and started again in the
 * middle of a run, at the start of one, and for the rest of one; and a 412 on the first
 * conditional write to each state row, as a concurrent writer would cause.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultCase, type Outcome, story } from "./scenario.js";
import { FlakyStorage } from "./storage.js";
import { Summary } from "./summary.js";
import { smallDataset, suiteSeed } from "./world.js";

const FILE = "storage.test.ts";
const seed = suiteSeed(FILE);
const summary = new Summary(FILE, seed);
const later = (ms: number, fn: () => Promise<void>) => setTimeout(() => void fn(), ms);
const mentions = (text: string, ...words: string[]) => words.some((w) => text.includes(w));

interface StorageCase {
  readonly name: string;
  fault(storage: FlakyStorage, armed: { point?: string; action?: () => Promise<void> }): Omit<FaultCase, "name" | "world">;
}

const cases: StorageCase[] = [
  {
    // The run waits at the pause while the process is replaced: its pooled connections die with it.
    name: "Azurite stopped and restarted between a unit's writes and its links",
    fault: (storage, armed) => ({
      phase: "initial",
      inject: () => {
        armed.point = "after-writes";
        armed.action = async () => {
          await storage.stop();
          await storage.restart();
        };
      },
      told: () => storage.restarts === 1,
    }),
  },
  {
    name: "Azurite stopped before the cursors move; the run meets the outage until it is back",
    fault: (storage, armed) => ({
      phase: "incremental",
      inject: () => {
        armed.point = "before-cursors";
        armed.action = async () => {
          await storage.stop();
          later(0, () => storage.restart());
        };
      },
      told: (h, logs) => storage.restarts === 1 && (h.some((r) => r.status !== "succeeded") || mentions(logs, "TABLES_", "could not", '"side":"tables"')),
    }),
  },
  {
    name: "Azurite down when a run starts",
    fault: (storage) => ({
      phase: "incremental",
      inject: async () => {
        await storage.stop();
        later(0, () => storage.restart());
      },
      told: () => storage.restarts === 1,
    }),
  },
  {
    name: "an ETag conflict on the first conditional write to each state row",
    fault: (storage) => ({
      phase: "initial",
      inject: () => {
        storage.conflictOnce = true;
      },
      // A 412 on the lease row that still names the run is taken as its own lost reply: the write
      // is made again on the new ETag and logged; any other row's conflict shows in the history.
      told: (h, logs) =>
        storage.conflictsServed > 0 &&
        (h.some((r) => r.errors.some((e) => e.code === "LEASE_LOST")) || mentions(logs, "could not release") || mentions(logs, "LEASE_ROW_CHANGED")),
    }),
  },
];

describe("storage faults", () => {
  let reference: Outcome;
  beforeAll(async () => {
    reference = await story(smallDataset(seed));
  });
  afterAll(() => summary.write());

  for (const c of cases) {
    it(`${c.name}: the end state equals the undisturbed run's, and the history or log tells`, { timeout: 90_000 }, async () => {
      const storage = await FlakyStorage.start();
      const armed: { point?: string; action?: () => Promise<void> } = {};
      try {
        const fault: FaultCase = {
          name: c.name,
          world: {
            settings: { AzureWebJobsStorage: storage.connectionString },
            overrides: {
              pause: async (point) => {
                if (point !== armed.point || !armed.action) return;
                const action = armed.action;
                armed.action = undefined;
                await action();
              },
            },
          },
          ...c.fault(storage, armed),
        };
        const outcome = await story(smallDataset(seed), fault);
        const { duplicates, dropped, lostEdits } = outcome.audit;
        const same = JSON.stringify(outcome.snapshot) === JSON.stringify(reference.snapshot);
        summary.add("storage faults", c.name, {
          ok: same && duplicates + dropped + lostEdits === 0 && outcome.told && outcome.leaked.count === 0,
          duplicates,
          dropped,
          lostEdits,
          leakedCanaries: outcome.leaked.count,
          runs: outcome.runs,
          restarts: storage.restarts,
          conflictsServed: storage.conflictsServed,
        });
        expect(outcome.audit).toMatchObject({ duplicates: 0, dropped: 0, lostEdits: 0 });
        expect(outcome.snapshot).toEqual(reference.snapshot);
        expect(outcome.told, "the history or the log shows the fault").toBe(true);
        expect(outcome.leaked).toEqual({ count: 0, found: [] });
      } finally {
        await storage.close();
      }
    });
  }
});
