/**
 * Runs that meet trouble: throttling, an outage mid-run, and records that cannot be
 * written. Work done is kept; what failed is in the ledger; the next run finishes.
 */
import { describe, expect, it } from "vitest";
import { type Harness, linkedPairs, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 31, people: 50, overlap: 0.7, portalOnlyMembers: 5 };

async function everyoneLinked(h: Harness): Promise<number> {
  return (await linkedPairs(h)).length;
}

describe("throttling and outages", () => {
  it("a 429 storm is waited out as asked: no request inside Retry-After, the run succeeds", async () => {
    const h = await startHarness({ dataset: DATASET, settings: { SYNC_PORTAL_BATCH_SIZE: "10" } });
    try {
      h.dataverse.faults.failNext(4, { status: 429, retryAfterSeconds: 1, match: (m, p) => m === "POST" && p.includes("$batch") });
      const result = await h.service.runSync(L, { trigger: "timer" });
      expect(result.status).toBe("succeeded");
      expect(h.dataverse.counters().throttled).toBeGreaterThanOrEqual(4);
      expect(h.dataverse.counters().retryAfterViolations).toBe(0);
      expect(h.logs.some((line) => line.includes("throttled: waiting as asked"))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("a portal outage mid-run ends incomplete, keeps the work done, and the next run finishes", { timeout: 120_000 }, async () => {
    let outageStarted = false;
    let outage = () => {};
    const h = await startHarness({
      dataset: DATASET,
      // One batch per page, so the outage exhausts one write's retries without opening the circuit.
      settings: { SYNC_PAGE_SIZE: "10", SYNC_PORTAL_BATCH_SIZE: "10" },
      overrides: {
        pause: (point) => {
          if (point === "after-checkpoint" && !outageStarted) {
            outageStarted = true;
            outage();
          }
        },
      },
    });
    outage = () => h.dataverse.faults.failNext(6, { status: 503, match: (m, p) => m === "POST" && p.includes("$batch") });
    try {
      const first = await h.service.runSync(L, { trigger: "timer" });
      expect(first.status).toBe("incomplete");
      const kept = await everyoneLinked(h);
      expect(kept).toBeGreaterThan(0);

      const second = await h.service.runSync(L, { trigger: "timer" });
      expect(second.status).toBe("succeeded");
      const total = await everyoneLinked(h);
      expect(total).toBe(h.meander.store.list("likepersons").length - h.dataset!.truth.ambiguous.length);
      expect(total).toBeGreaterThan(kept);
    } finally {
      await h.close();
    }
  });
});

describe("the retry ledger", () => {
  it("keeps a record that cannot be mapped, retries it, and lets it go once fixed", async () => {
    const h = await startHarness({ dataset: DATASET, settings: { SYNC_LEDGER_MAX_ATTEMPTS: "2" } });
    try {
      await h.service.runSync(L, { trigger: "timer" });
      const [pair] = await linkedPairs(h);
      h.meander.store.edit("likepersons", pair!.link.meanderId, { firstName: "   " });
      const failed = await h.service.runSync(L, { trigger: "timer" });
      expect(failed.status).toBe("partial");
      expect(failed.errors).toContainEqual(expect.objectContaining({ recordId: pair!.link.meanderId, code: "MAPPING_FAILED" }));
      expect(JSON.stringify(failed.errors)).not.toContain(pair!.meanderData!.lastName as string);
      expect(failed.ledger.size).toBe(1);

      const retried = await h.service.runSync(L, { trigger: "timer" });
      expect(retried.ledger).toMatchObject({ size: 1, retried: 1 });
      const [entry] = await h.service.deps.state.listLedger(L);
      expect(entry).toMatchObject({ side: "meander", recordId: pair!.link.meanderId, attempts: 2, lastError: { code: "MAPPING_FAILED" } });

      // Past the attempts limit it is no longer retried, but stays visible in every run.
      const parked = await h.service.runSync(L, { trigger: "timer" });
      expect(parked.ledger).toMatchObject({ size: 1, retried: 0 });

      h.meander.store.edit("likepersons", pair!.link.meanderId, { firstName: "Ragnhild" });
      const fixed = await h.service.runSync(L, { trigger: "timer" });
      expect(fixed.status).toBe("succeeded");
      expect(fixed.ledger).toMatchObject({ size: 0, recovered: 1 });
      expect(h.dataverse.store.get("contacts", pair!.link.portalId)).toMatchObject({ firstname: "Ragnhild" });
    } finally {
      await h.close();
    }
  });
});
