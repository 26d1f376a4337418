/**
 * The one place where errors become HTTP answers. The service's errors (ServiceError in
 * shared/errors.ts) carry their status and are answered with it; anything else is a 500 with
 * a generic message and the invocation id, so no stack trace, secret or member data ever
 * reaches a response body.
 */
import type { HttpResponseInit, InvocationContext } from "@azure/functions";
import { ServiceError, SyncError, toErrorInfo } from "../../shared/errors.js";
import { logEvent } from "./log.js";
import { json } from "./respond.js";

/** The error body of every non-2xx answer (api/admin.openapi.yaml `Error`). */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    /** 409 ALREADY_RUNNING: the run that holds the config. */
    readonly runningRunId?: string;
    /** 500: quote it to an operator; it finds the invocation's logs. */
    readonly invocationId?: string;
  };
}

/** An answer decided by the HTTP layer itself (bad input, auth, method). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const body = (code: string, message: string, extra: Omit<ErrorBody["error"], "code" | "message"> = {}): ErrorBody => ({
  error: { code, message, ...extra },
});

export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof HttpError) {
    return json(error.status, body(error.code, error.message, error.field ? { field: error.field } : {}), error.headers);
  }
  if (error instanceof ServiceError) {
    const { message = error.message, ...extra } = error.answer;
    return json(error.status, body(error.code, message, extra));
  }
  // Typed errors carry data-free messages by policy; anything else may not, so only its name is logged.
  const info = toErrorInfo(error);
  logEvent(context, "error", "sync.http.unexpected", {
    code: info.code,
    kind: info.kind,
    errorName: error instanceof Error ? error.name : typeof error,
    ...(error instanceof SyncError ? { detail: error.message } : {}),
  });
  return json(500, body("INTERNAL", `unexpected error; quote invocation ${context.invocationId} to an operator`, { invocationId: context.invocationId }));
}
