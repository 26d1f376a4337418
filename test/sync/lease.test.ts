/** Exactly one run per config, on Azurite's conditional writes: concurrent starts. (A stalled run that lost its lease, the time budget: test/engine/lease.test.ts.) */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlreadyRunningError } from "../../shared/errors.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 21, people: 30, overlap: 0.7, portalOnlyMembers: 5 };

describe("one run per config", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ dataset: DATASET });
  });
  afterAll(async () => h?.close());

  it("twenty concurrent starts: exactly one runs, the others answer 'already running' with its id", async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => h.service.runSync(L, { trigger: "manual" })));
    const ran = outcomes.filter((o) => o.status === "fulfilled");
    expect(ran).toHaveLength(1);
    const winner = (ran[0] as PromiseFulfilledResult<{ runId: string }>).value.runId;
    for (const o of outcomes.filter((x) => x.status === "rejected")) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyRunningError);
      expect((o as PromiseRejectedResult).reason.runningRunId).toBe(winner);
    }
    expect(await h.service.getSyncHistory(L, 50)).toHaveLength(1);
  });
});
