/** The retry ledger's gauges (shared/telemetry/metrics.ts): failing entries apart from those waiting for a lookup target. */
import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, expect, it } from "vitest";
import type { SyncResult } from "../../shared/core/types.js";
import { createRunMetrics } from "../../shared/telemetry/metrics.js";
import { METRICS } from "../../shared/telemetry/names.js";

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(() => provider.shutdown());

const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0, skipped: 0, failed: 0, read: 0 };
const result = (ledger: SyncResult["ledger"]) =>
  ({
    runId: "r1",
    configId: "activities",
    trigger: "timer",
    status: "partial",
    dryRun: false,
    counts: { meander: counts, portal: counts },
    conflicts: { found: 0, open: 0, autoResolved: 0 },
    ledger,
    errors: [],
  }) as unknown as SyncResult;

it("counts the failing entries in sync.retry_ledger_size and the waiting ones in sync.waiting_records", async () => {
  createRunMetrics().recordRun(result({ size: 7, retried: 0, recovered: 0, waiting: 5 }));
  await reader.forceFlush();
  const points = exporter
    .getMetrics()
    .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
    .map((m) => [m.descriptor.name, m.dataPoints.at(-1)?.value] as const);
  const value = (name: string) => points.filter(([n]) => n === name).at(-1)?.[1];
  expect(value(METRICS.retryLedger)).toBe(2);
  expect(value(METRICS.waitingRecords)).toBe(5);
});
