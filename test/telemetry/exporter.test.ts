/**
 * A real sync (Azurite, both simulators, the real adapters) with in-memory OpenTelemetry
 * exporters: the run span and its attributes, dependency spans per side, the metrics, log
 * records with attributes, and no canary's name, e-mail or phone anywhere in the telemetry.
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComposedService, createService } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import { createJsonLogger } from "../../shared/logging.js";
import { createOtelLogger, teeLogger } from "../../shared/telemetry/logs.js";
import { LOG_ATTRIBUTES, METRIC_DIMENSIONS, METRICS, RUN_ATTRIBUTES, RUN_SPAN } from "../../shared/telemetry/names.js";
import { type Envelope, startIngestion } from "./ingestion.js";
import { startInMemoryTelemetry } from "./otel.js";

const ingestion = await startIngestion();
const telemetry = startInMemoryTelemetry({ connectionString: ingestion.connectionString });
// Imported after the instrumentations are registered, as functions/index.ts does in Azure.
const { startHarness } = await import("../sync/harness.js");
type Harness = Awaited<ReturnType<typeof startHarness>>;

const L = "likepersons";

describe("telemetry of a real run", () => {
  let h: Harness;
  let service: ComposedService;
  beforeAll(async () => {
    h = await startHarness({ dataset: { seed: 16, people: 40, overlap: 0.6, conflictingShare: 0.2, canaries: 6, portalOnlyMembers: 10 } });
    // The portal's client secret from the simulator's Key Vault, as in Azure.
    const lines: string[] = [];
    service = await createService(loadSettings({ ...h.env, KEY_VAULT_URL: h.dataverse.keyVaultUrl }), {
      logger: teeLogger(
        createOtelLogger(),
        createJsonLogger((_l, line) => lines.push(line)),
      ),
    });
  });
  afterAll(async () => {
    await h?.close();
    await ingestion.close();
  });

  const runSpans = () => telemetry.spans.getFinishedSpans().filter((s) => s.name === RUN_SPAN);
  const inTrace = (span: ReadableSpan) =>
    telemetry.spans.getFinishedSpans().filter((s) => s.spanContext().traceId === span.spanContext().traceId && s !== span);
  const port = (url: string) => new URL(url).port;
  const target = (s: ReadableSpan) => String(s.attributes["server.port"] ?? s.attributes["net.peer.port"] ?? "");

  it("a run is one span with its config, trigger, status and counts; dependencies per side are its children", async () => {
    // Two throttled batches: the run waits as asked and the wait is a metric.
    h.dataverse.faults.failNext(2, { status: 429, retryAfterSeconds: 1, match: (m, p) => m === "POST" && p.includes("$batch") });
    const result = await service.runSync(L, { trigger: "timer" });
    expect(result.status).toBe("succeeded");

    const [span] = runSpans();
    expect(span).toBeDefined();
    expect(span!.kind).toBe(SpanKind.INTERNAL);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    const a = span!.attributes;
    expect(a).toMatchObject({ runId: result.runId, configId: L, trigger: "timer", dryRun: false, status: "succeeded", errorCount: 0, errorCodes: "" });
    expect(a.portal_created).toBe(result.counts.portal.created);
    expect(a.meander_created).toBe(result.counts.meander.created);
    expect(Number(a.portal_created) + Number(a.meander_created)).toBeGreaterThan(0);
    expect(a.conflictsOpen).toBe(result.conflicts.open);
    expect(a.ledgerSize).toBe(result.ledger.size);
    // Every name the queries may read is one the span really carries (errorCode only on failed runs).
    for (const name of RUN_ATTRIBUTES.filter((n) => n !== "errorCode")) expect(a, name).toHaveProperty(name);

    const children = inTrace(span!);
    const clients = children.filter((s) => s.kind === SpanKind.CLIENT);
    const dataverse = clients.filter(
      (s) => target(s) === port(h.env.DATAVERSE_URL!) && String(s.attributes["http.url"] ?? s.attributes["url.full"]).includes("/api/data/"),
    );
    const meander = clients.filter((s) => target(s) === port(h.env.MEANDER_API_URL!));
    const tables = children.filter((s) => s.attributes["az.namespace"] === "Microsoft.Data.Tables");
    const keyVault = children.filter((s) => s.attributes["az.namespace"] === "Microsoft.KeyVault");
    expect(dataverse.length, "Dataverse dependencies").toBeGreaterThan(0);
    expect(dataverse.some((s) => s.attributes["http.status_code"] === 429 || s.attributes["http.response.status_code"] === 429)).toBe(true);
    expect(meander.length, "Meander dependencies").toBeGreaterThan(0);
    expect(meander.every((s) => s.attributes["http.request.method"] !== undefined)).toBe(true);
    expect(tables.length, "Table Storage dependencies").toBeGreaterThan(0);
    expect(keyVault.map((s) => s.name)).toContain("SecretClient.getSecret");
  });

  it("the run metrics: records written per side, duration, review queue, retry ledger, throttled waits", async () => {
    const points = await telemetry.metricPoints();
    const named = (name: string) => points.filter((p) => p.name === name);
    const written = named(METRICS.recordsWritten);
    expect(new Set(written.map((p) => p.attributes.side))).toEqual(new Set(["meander", "portal"]));
    expect(written.every((p) => p.attributes.configId === L && ["created", "updated", "deleted"].includes(String(p.attributes.operation)))).toBe(true);
    expect(named(METRICS.runDuration)[0]?.attributes).toEqual({ configId: L, trigger: "timer", status: "succeeded" });
    expect(named(METRICS.reviewQueue)[0]).toMatchObject({ attributes: { configId: L } });
    expect(typeof named(METRICS.reviewQueue)[0]?.value).toBe("number");
    expect(named(METRICS.retryLedger)[0]).toMatchObject({ attributes: { configId: L }, value: 0 });
    expect(named(METRICS.waitingRecords)[0]).toMatchObject({ attributes: { configId: L }, value: 0 });
    const throttled = named(METRICS.throttledWaits);
    expect(throttled[0]?.attributes).toEqual({ side: "portal" });
    expect((throttled[0]?.value as { count: number }).count).toBeGreaterThanOrEqual(1);
    // Every metric the queries read exists, with only the listed dimensions.
    for (const name of Object.values(METRICS)) expect(named(name).length, name).toBeGreaterThan(0);
    const ours = points.filter((p) => (Object.values(METRICS) as string[]).includes(p.name));
    const dims = new Set(ours.flatMap((p) => Object.keys(p.attributes)));
    expect([...dims].filter((d) => !(METRIC_DIMENSIONS as readonly string[]).includes(d))).toEqual([]);
  });

  it("log records carry properties as attributes, inside the run's trace", () => {
    const [span] = runSpans();
    const records = telemetry.logRecords.getFinishedLogRecords();
    const finished = records.find((r) => r.body === "sync run finished");
    expect(finished?.attributes).toMatchObject({ runId: span!.attributes.runId, configId: L, status: "succeeded" });
    expect(finished?.spanContext?.traceId).toBe(span!.spanContext().traceId);
    expect(records.some((r) => r.body === "throttled: waiting as asked" && r.attributes.side === "portal")).toBe(true);
    for (const name of LOG_ATTRIBUTES) expect(finished?.attributes, name).toHaveProperty(name);
    // The message is text, not a JSON document to parse.
    expect(records.every((r) => typeof r.body === "string" && !r.body.startsWith("{"))).toBe(true);
  });

  it("a failed run: error status, the error code as an attribute, a failed-run duration point", async () => {
    const linked: string[] = [];
    for await (const link of service.deps.state.listLinks(L)) linked.push(link.meanderId);
    for (const id of linked.slice(0, 8)) h.meander.store.remove("likepersons", id);
    const result = await service.runSync(L, { trigger: "timer" });
    expect(result.status).toBe("failed");
    const span = runSpans().at(-1)!;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "MASS_DELETE_BLOCKED" });
    expect(span.attributes).toMatchObject({ status: "failed", errorCode: "MASS_DELETE_BLOCKED" });
    expect(String(span.attributes.errorCodes).split(",")).toContain("MASS_DELETE_BLOCKED");
    const points = await telemetry.metricPoints();
    expect(points.some((p) => p.name === METRICS.runDuration && p.attributes.status === "failed")).toBe(true);
    const record = telemetry.logRecords.getFinishedLogRecords().find((r) => r.body === "sync run finished" && r.attributes.status === "failed");
    expect(record?.attributes).toMatchObject({ runId: result.runId, errorCode: "MASS_DELETE_BLOCKED" });
  });

  it("a refused run (unknown config) is a span with an error code, and the caller still gets the error", async () => {
    await expect(service.runSync("nope", { trigger: "manual" })).rejects.toThrow();
    expect(runSpans().at(-1)?.attributes).toMatchObject({ configId: "nope", status: "refused", errorCode: "UNKNOWN_CONFIG" });
  });

  it("what Application Insights receives: the run in dependencies, its calls under it, log records in traces, the metrics", async () => {
    await telemetry.flush();
    await expect.poll(() => ingestion.envelopes.filter((e) => e.data.baseType === "MetricData").length, { timeout: 10_000 }).toBeGreaterThan(0);
    const of = (type: string) => ingestion.envelopes.filter((e) => e.data.baseType === type);
    const props = (e: Envelope) => e.data.baseData.properties ?? {};
    const runs = of("RemoteDependencyData").filter((e) => e.data.baseData.name === RUN_SPAN);
    expect(runs.map((e) => props(e).status)).toEqual(["succeeded", "failed", "refused"]);
    // customDimensions: every attribute the queries read, as the strings KQL's tostring/tobool see.
    const keys = new Set(runs.flatMap((e) => Object.keys(props(e))));
    for (const name of RUN_ATTRIBUTES) expect(keys.has(name), name).toBe(true);
    expect(props(runs[0]!)).toMatchObject({ configId: L, trigger: "timer", dryRun: "false", fullReread: "false", errorCodes: "" });
    expect(props(runs[1]!).errorCodes).toContain("MASS_DELETE_BLOCKED");
    expect(runs[1]!.data.baseData.success).toBe(false);

    // The run's calls share its operation_Id: Dataverse and Meander as HTTP, the Azure SDK's as InProc | namespace.
    const operation = runs[0]!.tags!["ai.operation.id"];
    const calls = of("RemoteDependencyData").filter((e) => e.tags?.["ai.operation.id"] === operation && e !== runs[0]);
    // `data` is the called URL (query cut), `target` its host.
    const http = calls.filter((e) => e.data.baseData.type === "Http").map((e) => String(e.data.baseData.data));
    const origin = (url: string) => new URL(url).origin;
    expect(
      http.some((u) => u.startsWith(`${origin(h.env.DATAVERSE_URL!)}/api/data/`)),
      "Dataverse",
    ).toBe(true);
    expect(
      http.some((u) => u.startsWith(origin(h.env.MEANDER_API_URL!))),
      "Meander",
    ).toBe(true);
    expect(http.filter((u) => u.includes("?") && !u.endsWith("?…"))).toEqual([]);
    expect(calls.some((e) => e.data.baseData.type === "InProc | Microsoft.Data.Tables")).toBe(true);
    expect(calls.some((e) => e.data.baseData.type === "InProc | Microsoft.KeyVault")).toBe(true);
    expect(calls.some((e) => e.data.baseData.type === "Http" && e.data.baseData.resultCode === "429")).toBe(true);

    const messages = of("MessageData");
    const finished = messages.find((e) => e.data.baseData.message === "sync run finished" && props(e).status === "succeeded");
    expect(props(finished!)).toMatchObject({ runId: props(runs[0]!).runId, configId: L });
    expect(finished!.tags!["ai.operation.id"]).toBe(operation);

    const metricNames = new Set(of("MetricData").flatMap((e) => (e.data.baseData.metrics as { name: string }[]).map((m) => m.name)));
    for (const name of Object.values(METRICS)) expect(metricNames.has(name), name).toBe(true);
    const ours = of("MetricData").filter((e) => (Object.values(METRICS) as string[]).includes((e.data.baseData.metrics as { name: string }[])[0]!.name));
    expect([...new Set(ours.flatMap((e) => Object.keys(props(e))))].filter((d) => !(METRIC_DIMENSIONS as readonly string[]).includes(d))).toEqual([]);
  });

  it("no canary's name, e-mail or phone in any span, event, log record or metric dimension", async () => {
    const { names, emails, phones } = h.dataset!.canaries;
    expect(names.length).toBeGreaterThan(0);
    const texts: string[] = [];
    const add = (attributes: object | undefined) => {
      for (const [k, v] of Object.entries(attributes ?? {})) texts.push(k, String(v));
    };
    for (const s of telemetry.spans.getFinishedSpans()) {
      texts.push(s.name, s.status.message ?? "");
      add(s.attributes);
      for (const e of s.events) {
        texts.push(e.name);
        add(e.attributes);
      }
    }
    for (const r of telemetry.logRecords.getFinishedLogRecords()) {
      texts.push(String(r.body));
      add(r.attributes);
    }
    for (const p of await telemetry.metricPoints()) add(p.attributes);
    // And what was sent to Application Insights, whole.
    texts.push(JSON.stringify(ingestion.envelopes));
    const decoded = texts.map((t) => {
      try {
        return decodeURIComponent(t).toLowerCase();
      } catch {
        return t.toLowerCase();
      }
    });
    const digits = decoded.map((t) => t.replace(/\D/g, ""));
    const leaks = [
      ...[...names, ...emails].filter((m) => decoded.some((t) => t.includes(m.toLowerCase()))),
      ...phones.map((p) => p.replace(/\D/g, "")).filter((p) => p.length >= 8 && digits.some((d) => d.includes(p))),
    ];
    expect(leaks).toEqual([]);
    // The test would see them: the canaries travelled through the calls these spans describe.
    const written = JSON.stringify([h.meander.store.list("likepersons"), h.dataverse.store.list("contacts")]).toLowerCase();
    expect(emails.filter((e) => written.includes(e.toLowerCase()))).toEqual(emails);
  });
});
