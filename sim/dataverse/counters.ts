/** What the simulator has seen, for tests and the benchmark to assert on. */

export type RequestKind = "token" | "metadata" | "schema" | "get" | "delta" | "batch" | "create" | "update" | "upsert" | "delete" | "keyvault";

export interface DataverseCounters {
  /** HTTP requests received (a $batch is one, whatever it holds). */
  requests: number;
  /**
   * Operations by kind; operations inside a $batch count under their own kind too.
   * `metadata` is the identity provider's (OpenID) metadata; `schema` the tables' definitions (EntityDefinitions).
   */
  byKind: Record<RequestKind, number>;
  /** Operations carried inside $batch requests. */
  batchOperations: number;
  /** Successful creates, updates, upserts and deletes. */
  recordsWritten: number;
  /** Writes that changed no column value. */
  noopWrites: number;
  /** 429 responses sent (service protection limits and injected 429 faults). */
  throttled: number;
  /** Requests a client sent before the Retry-After it was given had elapsed. */
  retryAfterViolations: number;
  /** Most Web API requests in flight at once. */
  maxConcurrentSeen: number;
  tokensIssued: number;
}

export function emptyCounters(): DataverseCounters {
  return {
    requests: 0,
    byKind: { token: 0, metadata: 0, schema: 0, get: 0, delta: 0, batch: 0, create: 0, update: 0, upsert: 0, delete: 0, keyvault: 0 },
    batchOperations: 0,
    recordsWritten: 0,
    noopWrites: 0,
    throttled: 0,
    retryAfterViolations: 0,
    maxConcurrentSeen: 0,
    tokensIssued: 0,
  };
}

export function copyCounters(counters: DataverseCounters): DataverseCounters {
  return { ...counters, byKind: { ...counters.byKind } };
}
