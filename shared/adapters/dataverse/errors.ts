/**
 * The one mapping from whatever dynamics-web-api throws (or returns for a failed
 * part of a batch) to the typed errors of errors.ts.
 *
 * Dataverse error messages can quote record values (duplicate detection, key
 * violations), so only the status and Dataverse's error code travel; the message
 * is built from the operation's context (entity, op, id).
 */
import {
  AuthError,
  FatalError,
  isNetworkError,
  parseRetryAfter,
  RecordError,
  type SyncError,
  SyncError as SyncErrorClass,
  TransientError,
} from "../../errors.js";

/** Dataverse: the delta token is expired or no longer valid for change tracking. */
export const EXPIRED_DELTA_TOKEN = "0x80044352";

/** What the library leaves on an error: top-level responses carry `code`, batch parts `error.code`. */
interface LibraryError {
  name?: string;
  status?: number;
  code?: unknown;
  error?: { code?: unknown };
  headers?: Record<string, string | string[] | undefined>;
}

const header = (headers: LibraryError["headers"], name: string): string | undefined => {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** Dataverse's own error code (e.g. 0x80072322), when the response had one. */
export function dataverseCode(error: unknown): string | undefined {
  const e = error as LibraryError | undefined;
  const code = e?.error?.code ?? e?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/**
 * Failures that belong to one record, whatever the status says: Dataverse answers a
 * plug-in abort (IsvAborted) and a duplicate-detection match with 500, and the same
 * write fails again however often it is retried. They go to the retry ledger; one bad
 * record never stops a run.
 * https://learn.microsoft.com/power-apps/developer/data-platform/best-practices/business-logic/use-invalidpluginexecutionexception-plugin-workflow-activities
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update
 */
export const RECORD_LEVEL_CODES: Readonly<Record<string, string>> = {
  "0x80040265": "PLUGIN_ERROR",
  "0x80040333": "DUPLICATE_DETECTED",
  "0x80048408": "INVALID_STATE",
};

/**
 * The service protection limit errors (requests, execution time, concurrent requests):
 * nothing was done and the same request succeeds after Retry-After. The Web API answers
 * them with 429; the code alone also marks a part of a $batch as one to send again.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits
 */
export const SERVICE_PROTECTION_CODES: ReadonlySet<string> = new Set(["0x80072322", "0x80072321", "0x80072326"]);

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  412: "PRECONDITION_FAILED",
  413: "TOO_LARGE",
  429: "THROTTLED",
};

/**
 * Maps one failure. `context` says what was attempted ("update contacts <id>"),
 * never with values. Codes: our status code name (PRECONDITION_FAILED, NOT_FOUND,
 * THROTTLED...) so callers can branch on them; Dataverse's code is in the message.
 */
export function mapDataverseError(error: unknown, context: string): SyncError {
  if (error instanceof SyncErrorClass) return error;
  const e = error as LibraryError | undefined;
  if (e?.name === "AbortError") return new FatalError("ABORTED", `${context}: aborted`, { cause: error });
  if (isNetworkError(error)) {
    return new TransientError("NETWORK", `${context}: network error`, { cause: error });
  }
  const status = typeof e?.status === "number" ? e.status : undefined;
  if (status === undefined) {
    // A parameter check in the library, or a bug: not worth retrying, and its text may quote input.
    return new FatalError("CLIENT_ERROR", `${context}: request rejected by the client library`, { cause: error });
  }
  const dvCode = dataverseCode(error);
  const code = STATUS_CODES[status] ?? `HTTP_${status}`;
  const message = `${context}: Dataverse answered ${status}${dvCode ? ` (${dvCode})` : ""}`;
  const recordCode = dvCode ? RECORD_LEVEL_CODES[dvCode.toLowerCase()] : undefined;
  if (recordCode) return new RecordError(recordCode, message, { status, cause: error });
  const retryAfterMs = parseRetryAfter(header(e?.headers, "retry-after"));
  if (dvCode && SERVICE_PROTECTION_CODES.has(dvCode.toLowerCase())) {
    return new TransientError("THROTTLED", message, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), cause: error });
  }
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    return new TransientError(code, message, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), cause: error });
  }
  if (status === 401 || status === 403 || status === 501 || status === 505) return new FatalError(code, message, { status, cause: error });
  return new RecordError(dvCode === EXPIRED_DELTA_TOKEN ? "DELTA_TOKEN_EXPIRED" : code, message, { status, cause: error });
}

/** The error after a second 401: the credentials are refused, not just an old token. */
export const unauthorized = (tenantId: string, clientId: string, cause: unknown) =>
  new AuthError(tenantId, clientId, "Dataverse refused the token after a refresh (401)", { status: 401, cause });
