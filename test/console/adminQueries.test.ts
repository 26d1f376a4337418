/** The overview and ledger reads (shared/adminQueries.ts) over stand-in stores; the browser test runs them on Azurite. */
import { describe, expect, test } from "vitest";
import { createAdminQueries } from "../../shared/adminQueries.js";
import { UnknownConfigError } from "../../shared/errors.js";
import type { LedgerEntry } from "../../shared/ports.js";
import { result } from "../functions/fakeService.js";

const entry = (recordId: string, lastFailedAt: string): LedgerEntry => ({
  side: "portal",
  recordId,
  attempts: 1,
  firstFailedAt: "2026-11-26T08:00:00.000Z",
  lastFailedAt,
  lastError: { kind: "record", code: "PRECONDITION_FAILED", message: "changed since read", status: 412 },
});

function queries(now: string) {
  return createAdminQueries({
    enabled: new Map([
      ["likepersons", true],
      ["archive", false],
    ]),
    runs: {
      listRuns: async (configId, limit) =>
        configId === "likepersons" ? [result(configId, "timer", "run-2"), result(configId, "manual", "run-1")].slice(0, limit) : [],
    },
    state: {
      listLedger: async (configId) => (configId === "likepersons" ? [entry("a", "2026-11-26T09:00:00.000Z"), entry("b", "2026-11-26T10:00:00.000Z")] : []),
      listConflicts: async (configId, status) => (configId === "likepersons" && status === "open" ? [{} as never, {} as never] : []),
    },
    clock: { now: () => new Date(now) },
    schedule: "0 */15 * * * *",
  });
}

describe("admin queries", () => {
  test("overview: last run, the timer's next tick in UTC, open items, ledger size", async () => {
    const o = await queries("2026-11-26T10:07:30.000Z").getOverview("likepersons");
    expect(o).toMatchObject({ configId: "likepersons", enabled: true, nextTimerRun: "2026-11-26T10:15:00.000Z", openReviewItems: 2, ledgerSize: 2 });
    expect(o.lastRun?.runId).toBe("run-2");
    expect((await queries("2026-11-26T23:59:59.000Z").getOverview("likepersons")).nextTimerRun).toBe("2026-11-27T00:00:00.000Z");
  });

  test("a disabled config has no next timer run, and no run yet means no lastRun", async () => {
    const o = await queries("2026-11-26T10:07:30.000Z").getOverview("archive");
    expect(o.nextTimerRun).toBeUndefined();
    expect(o.lastRun).toBeUndefined();
    expect(o.enabled).toBe(false);
  });

  test("the ledger, most recently failed first; unknown configs are refused", async () => {
    const q = queries("2026-11-26T10:07:30.000Z");
    expect((await q.listLedger("likepersons")).map((e) => e.recordId)).toEqual(["b", "a"]);
    await expect(q.listLedger("nosuch")).rejects.toBeInstanceOf(UnknownConfigError);
    await expect(q.getOverview("nosuch")).rejects.toBeInstanceOf(UnknownConfigError);
  });
});
