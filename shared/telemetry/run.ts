/**
 * The run span: wraps the service's runSync from outside the engine, so every run (timer, HTTP,
 * CLI) is one span carrying its config, trigger, status and counts, with the dependency spans of
 * the calls it makes (Dataverse, Meander, Table Storage, Key Vault) and its log records as
 * children. Attributes are ids, codes and counts; never record data.
 */
import { type Attributes, SpanStatusCode, trace } from "@opentelemetry/api";
import type { SyncResult } from "../core/types.js";
import { toErrorInfo } from "../errors.js";
import type { SyncService } from "../service.js";
import type { RunMetrics } from "./metrics.js";
import { RUN_SPAN } from "./names.js";

/** The engine notes a full read after an expired delta token or feed cursor (shared/sync/run.ts). */
const FULL_REREAD = /full read/;

export function runAttributes(result: SyncResult): Attributes {
  const counts: Attributes = {};
  for (const [side, sideCounts] of Object.entries(result.counts)) {
    for (const [kind, n] of Object.entries(sideCounts)) counts[`${side}_${kind}`] = n;
  }
  const codes = [...new Set(result.errors.map((e) => e.code))];
  const fatal = result.status === "failed" ? result.errors.at(-1)?.code : undefined;
  return {
    runId: result.runId,
    configId: result.configId,
    trigger: result.trigger,
    dryRun: result.dryRun,
    status: result.status,
    ...(result.durationMs !== undefined ? { durationMs: result.durationMs } : {}),
    errorCount: result.errorCount,
    errorCodes: codes.join(","),
    ...(fatal ? { errorCode: fatal } : {}),
    conflictsFound: result.conflicts.found,
    conflictsOpen: result.conflicts.open,
    ledgerSize: result.ledger.size,
    ledgerRetried: result.ledger.retried,
    ledgerRecovered: result.ledger.recovered,
    fullReread: result.notes.some((n) => FULL_REREAD.test(n)),
    // Notes are written for operators and hold ids and codes only (see SyncResult.notes).
    notes: result.notes.join(" | "),
    ...counts,
  };
}

/** The same service, each runSync inside a run span and followed by the run metrics. */
export function instrumentRuns<S extends SyncService>(service: S, runMetrics: RunMetrics): S {
  const tracer = trace.getTracer("meander-hlf-sync");
  const runSync: SyncService["runSync"] = (configId, options) =>
    tracer.startActiveSpan(RUN_SPAN, { attributes: { configId, trigger: options.trigger, dryRun: options.dryRun ?? false } }, async (span) => {
      try {
        const result = await service.runSync(configId, options);
        span.setAttributes(runAttributes(result));
        if (result.status === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors.at(-1)?.code ?? "failed" });
        runMetrics.recordRun(result);
        return result;
      } catch (error) {
        // Refused before a run started (unknown config, another run holds the lease): a code, no message text.
        const { code } = toErrorInfo(error);
        span.setAttributes({ status: "refused", errorCode: code, errorCodes: code });
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        throw error;
      } finally {
        span.end();
      }
    });
  return { ...service, runSync };
}
