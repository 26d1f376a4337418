/**
 * Every name the app's own telemetry emits: the run span and its attributes, the metrics and
 * their dimensions, the log attributes the alerts and the README's queries read. The exporter
 * tests check the telemetry really carries these names; the infra and README tests check every
 * query reads only these (so a renamed attribute breaks a test, not a silent alert).
 *
 * In Application Insights span and log attributes and metric dimensions land in `customDimensions`;
 * the run span (an in-process child of the Functions invocation) is a row of `dependencies`.
 */
import type { Side } from "../core/types.js";

export const RUN_SPAN = "sync.run";

const COUNT_KINDS = ["read", "created", "updated", "deleted", "unchanged", "skipped", "failed"] as const;
const SIDE_NAMES: readonly Side[] = ["meander", "portal"];

/** Attributes of the run span (ids, codes and counts only). */
export const RUN_ATTRIBUTES = [
  "runId",
  "configId",
  "trigger",
  "dryRun",
  "status",
  "durationMs",
  "errorCount",
  /** Distinct error codes of the run, comma-separated (MASS_DELETE_BLOCKED, SCHEMA_MISMATCH, ...). */
  "errorCodes",
  /** The code of the run-level failure, when the run failed. */
  "errorCode",
  "conflictsFound",
  "conflictsOpen",
  "ledgerSize",
  "ledgerRetried",
  "ledgerRecovered",
  /** A change token or cursor had expired: this run read everything again. */
  "fullReread",
  "notes",
  ...SIDE_NAMES.flatMap((side) => COUNT_KINDS.map((kind) => `${side}_${kind}`)),
] as const;

/** Metric names, as `customMetrics.name` shows them. */
export const METRICS = {
  recordsWritten: "sync.records_written",
  runDuration: "sync.run_duration",
  reviewQueue: "sync.review_queue_size",
  retryLedger: "sync.retry_ledger_size",
  waitingRecords: "sync.waiting_records",
  throttledWaits: "sync.throttled_waits",
} as const;

/** Dimensions of the metrics. */
export const METRIC_DIMENSIONS = ["configId", "side", "operation", "status", "trigger"] as const;

/** Attributes the engine's log records carry that the queries use. */
export const LOG_ATTRIBUTES = ["runId", "configId", "status"] as const;

/** The Application Insights tables the queries may read. */
export const TABLES = ["requests", "dependencies", "traces", "customMetrics", "exceptions"] as const;

/**
 * Standard columns of those tables the queries use; not ours, but listed so a typo in a query
 * is caught like an unknown attribute.
 */
export const COLUMNS = [
  "timestamp",
  "name",
  "value",
  "valueCount",
  "valueSum",
  "valueMax",
  "duration",
  "success",
  "resultCode",
  "target",
  "type",
  "message",
  "severityLevel",
  "operation_Id",
  "operation_Name",
  "cloud_RoleName",
  "customDimensions",
] as const;

/** Every customDimensions key any of our telemetry may carry. */
export const DIMENSIONS: readonly string[] = [...new Set<string>([...RUN_ATTRIBUTES, ...METRIC_DIMENSIONS, ...LOG_ATTRIBUTES])];

/** Run statuses the queries may compare with: the engine's, and "refused" (the run never started). */
export const RUN_STATUSES = ["running", "succeeded", "partial", "incomplete", "failed", "refused"] as const;

/** Error codes an alert of their own watches (raised by shared/sync and the portal's schema check). */
export const ALERTED_ERROR_CODES = ["MASS_DELETE_BLOCKED", "SCHEMA_MISMATCH"] as const;
