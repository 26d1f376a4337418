/**
 * In-memory OpenTelemetry for tests: the same global providers and instrumentations the distro
 * sets up in Azure (HTTP, Azure SDK, and the app's own: undici for fetch), with exporters that
 * keep what they receive. Call before the service is built.
 */
import { createAzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { metrics } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { QueryRedactingSpanProcessor } from "../../shared/telemetry/redact.js";
import { appInstrumentations, applyToLoadedModules } from "../../shared/telemetry/setup.js";

export function startInMemoryTelemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new QueryRedactingSpanProcessor(), new SimpleSpanProcessor(spans)] });
  tracerProvider.register();

  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  const logRecords = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(logRecords)] });
  logs.setGlobalLoggerProvider(loggerProvider);

  registerInstrumentations({
    tracerProvider,
    meterProvider,
    loggerProvider,
    instrumentations: [new HttpInstrumentation(), createAzureSdkInstrumentation(), ...appInstrumentations()],
  });
  applyToLoadedModules();

  return {
    spans,
    logRecords,
    /** Every data point of the latest export (cumulative), flattened: metric name, attributes, value. */
    async metricPoints() {
      await reader.forceFlush();
      const points: { name: string; attributes: Record<string, unknown>; value: unknown }[] = [];
      for (const rm of metricExporter.getMetrics().slice(-1))
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) for (const p of m.dataPoints) points.push({ name: m.descriptor.name, attributes: { ...p.attributes }, value: p.value });
      return points;
    },
  };
}
