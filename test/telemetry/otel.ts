/**
 * In-memory OpenTelemetry for tests: the same global providers and instrumentations the distro
 * sets up in Azure (HTTP, Azure SDK, and the app's own: undici for fetch), with exporters that
 * keep what they receive; with a connection string also the real Azure Monitor exporters (see
 * ingestion.ts). Call before the service is built.
 */
import { AzureMonitorLogExporter, AzureMonitorMetricExporter, AzureMonitorTraceExporter } from "@azure/monitor-opentelemetry-exporter";
import { createAzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { metrics } from "@opentelemetry/api";
import { logs } from "@opentelemetry/api-logs";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { QueryRedactingSpanProcessor } from "../../shared/telemetry/redact.js";
import { appInstrumentations, applyToLoadedModules } from "../../shared/telemetry/setup.js";

export function startInMemoryTelemetry(options: { connectionString?: string } = {}) {
  const azure = options.connectionString ? { connectionString: options.connectionString, disableOfflineStorage: true } : undefined;
  const spans = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({
    spanProcessors: [
      new QueryRedactingSpanProcessor(),
      new SimpleSpanProcessor(spans),
      ...(azure ? [new BatchSpanProcessor(new AzureMonitorTraceExporter(azure))] : []),
    ],
  });
  tracerProvider.register();

  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({
    readers: [
      reader,
      ...(azure ? [new PeriodicExportingMetricReader({ exporter: new AzureMonitorMetricExporter(azure), exportIntervalMillis: 3_600_000 })] : []),
    ],
  });
  metrics.setGlobalMeterProvider(meterProvider);

  const logRecords = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor(logRecords), ...(azure ? [new BatchLogRecordProcessor(new AzureMonitorLogExporter(azure))] : [])],
  });
  logs.setGlobalLoggerProvider(loggerProvider);

  registerInstrumentations({
    tracerProvider,
    meterProvider,
    loggerProvider,
    // The exporters' own calls to the ingestion endpoint are not traced (the distro does the same).
    instrumentations: [
      new HttpInstrumentation({ ignoreOutgoingRequestHook: (req) => String(req.path ?? "").startsWith("/v2.1/track") }),
      createAzureSdkInstrumentation(),
      ...appInstrumentations(),
    ],
  });
  applyToLoadedModules();

  return {
    spans,
    logRecords,
    /** Everything handed to the exporters now (the Azure Monitor ones send it). */
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
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
