/**
 * The run metrics: records written per side and operation, run duration, the review queue, the
 * retry ledger's failing records and its waiting ones after each run, and throttled waits. Dimensions are ids and codes only.
 */
import { metrics } from "@opentelemetry/api";
import type { Side, SyncResult } from "../core/types.js";
import { METRICS } from "./names.js";

const WRITES = ["created", "updated", "deleted"] as const;

export interface RunMetrics {
  recordRun(result: SyncResult): void;
  /** One wait a throttled response asked for (429 / 503 with Retry-After). */
  recordThrottle(side: string, waitMs: number): void;
}

/** Instruments on the global meter provider (the distro's, or a test's); no-ops when none is set. */
export function createRunMetrics(): RunMetrics {
  const meter = metrics.getMeter("meander-hlf-sync");
  const written = meter.createCounter(METRICS.recordsWritten, { description: "Records created, updated or deleted on a side", unit: "{record}" });
  const duration = meter.createHistogram(METRICS.runDuration, { description: "Duration of a sync run", unit: "ms" });
  const reviewQueue = meter.createGauge(METRICS.reviewQueue, { description: "Open conflicts waiting for a person after a run", unit: "{conflict}" });
  const ledger = meter.createGauge(METRICS.retryLedger, {
    description: "Records in the retry ledger after a run that failed (not those waiting)",
    unit: "{record}",
  });
  const waiting = meter.createGauge(METRICS.waitingRecords, {
    description: "Records in the retry ledger after a run that wait for another config to couple their lookup target",
    unit: "{record}",
  });
  const throttled = meter.createHistogram(METRICS.throttledWaits, { description: "Waits a throttled response asked for", unit: "ms" });

  return {
    recordRun(result) {
      if (result.dryRun) return;
      const { configId, trigger, status } = result;
      for (const side of Object.keys(result.counts) as Side[]) {
        for (const operation of WRITES) {
          const n = result.counts[side][operation];
          if (n > 0) written.add(n, { configId, side, operation });
        }
      }
      if (result.durationMs !== undefined) duration.record(result.durationMs, { configId, trigger, status });
      reviewQueue.record(result.conflicts.open, { configId });
      // Waiting for a likeperson nobody has coupled yet is HLF's normal state, not a failure: the backlog alert reads the failing ones only.
      const waitingNow = result.ledger.waiting ?? 0;
      ledger.record(result.ledger.size - waitingNow, { configId });
      waiting.record(waitingNow, { configId });
    },
    recordThrottle(side, waitMs) {
      throttled.record(waitMs, { side });
    },
  };
}
