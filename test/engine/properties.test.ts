/**
 * Property tests of the real engine: generated histories driven through runSync over the
 * in-memory ports. After each history, once the runs settle: both sides converge, no edit is
 * lost, nobody has two partners or exists twice, both link fields of every pair are set, and a
 * repeated run writes nothing. ENGINE_PROPERTY_RUNS sets the histories per property (200),
 * ENGINE_PROPERTY_SEED fast-check's seed (random by default; a failure names its seed).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { play, settle } from "./drive.js";
import { histories, newWorld } from "./history.js";
import { checkInvariants } from "./invariants.js";

const RUNS = {
  numRuns: Number(process.env.ENGINE_PROPERTY_RUNS ?? 200),
  ...(process.env.ENGINE_PROPERTY_SEED ? { seed: Number(process.env.ENGINE_PROPERTY_SEED) } : {}),
};

async function holds(history: fc.Arbitrary<import("./history.js").History>) {
  await fc.assert(
    fc.asyncProperty(history, async (h) => {
      const e = newWorld(h.pageSize);
      const played = await play(e, h);
      await settle(e);
      await checkInvariants(e, played);
      const before = e.meander.opsWritten + e.portal.opsWritten;
      const again = await e.run();
      expect(again.status).toBe("succeeded");
      expect(e.meander.opsWritten + e.portal.opsWritten).toBe(before);
    }),
    RUNS,
  );
}

describe("the engine over generated histories", () => {
  it(
    "edits, deletions and creations on both sides: converged, nothing lost, one partner each, link fields set, idle re-run",
    { timeout: 600_000 },
    async () => {
      await holds(histories(false));
    },
  );

  it("with crashes at named points, lost replies, edits between read and write and expired cursors: the same", { timeout: 600_000 }, async () => {
    await holds(histories(true));
  });
});
