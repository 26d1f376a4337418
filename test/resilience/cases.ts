/**
 * Runs a table of fault cases against one reference story and records each case's
 * figures in the suite's summary. Shared by the portal and Meander fault files.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DatasetOptions } from "../../sim/data/generator.js";
import { type FaultCase, type Outcome, story } from "./scenario.js";
import { Summary } from "./summary.js";
import { smallDataset, suiteSeed } from "./world.js";

export function faultSuite(file: string, klass: string, cases: readonly FaultCase[], dataset: (seed: number) => DatasetOptions = smallDataset): void {
  const seed = suiteSeed(file);
  const summary = new Summary(file, seed);
  let reference: Outcome;

  beforeAll(async () => {
    reference = await story(dataset(seed));
    expect(reference.audit).toMatchObject({ duplicates: 0, dropped: 0, lostEdits: 0 });
  });
  afterAll(() => summary.write());

  for (const fault of cases) {
    it(`${fault.name}: the end state equals the undisturbed run's, and the history tells`, { timeout: 60_000 }, async () => {
      const outcome = await story(dataset(seed), fault);
      const same = JSON.stringify(outcome.snapshot) === JSON.stringify(reference.snapshot);
      const { duplicates, dropped, lostEdits } = outcome.audit;
      summary.add(klass, fault.name, {
        ok: same && duplicates + dropped + lostEdits === 0 && outcome.told && outcome.leaked.count === 0,
        duplicates,
        dropped,
        lostEdits,
        retryAfterViolations: outcome.retryAfterViolations,
        leakedCanaries: outcome.leaked.count,
        runs: outcome.runs,
      });
      expect(outcome.audit).toMatchObject({ duplicates: 0, dropped: 0, lostEdits: 0 });
      expect(outcome.snapshot).toEqual(reference.snapshot);
      expect(outcome.told, "the history or the log shows the fault").toBe(true);
      expect(outcome.leaked).toEqual({ count: 0, found: [] });
      expect(outcome.retryAfterViolations).toBe(0);
    });
  }
}
