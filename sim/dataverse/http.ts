/**
 * The request/response shapes the simulator's handlers share, so the same handler
 * serves a plain HTTP request and one operation inside a $batch.
 */

export interface SimRequest {
  readonly method: string;
  /** Decoded path below the Web API root for Web API calls, else the URL path. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Dataverse's error codes the simulator uses (hex, as the Web API reports them). */
export const DV = {
  notFound: "0x80040217",
  queryInvalid: "0x80060888",
  badRequest: "0x80048d19",
  versionMismatch: "0x80060882",
  duplicateKey: "0x80040237",
  expiredVersionStamp: "0x80044352",
  tooManyRequests: "0x80072322",
  executionTime: "0x80072321",
  tooManyConcurrent: "0x80072326",
  unauthorized: "0x80072560",
  serverError: "0x80040216",
  /** IsvAborted: a plug-in threw InvalidPluginExecutionException. */
  pluginAborted: "0x80040265",
  /** DuplicateRecordsFound: a duplicate-detection rule matched. */
  duplicateDetected: "0x80040333",
  /** State code or status code is invalid (a status reason that does not belong to the state). */
  invalidState: "0x80048408",
  /** A validation error: text longer than the column allows. */
  validationLength: "0x80044331",
  /** A validation error: a choice value outside the column's option set. */
  optionOutOfRange: "0x8004431a",
  /**
   * "Could not find a property named ..." for a column a query names: the troubleshooting
   * page shows it answered with code 0x0.
   * https://learn.microsoft.com/en-us/troubleshoot/power-platform/power-apps/dataverse/web-api-client-errors
   */
  unknownProperty: "0x0",
} as const;

const ODATA_HEADERS = { "OData-Version": "4.0" };

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { "Content-Type": "application/json; odata.metadata=minimal", ...ODATA_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { ...ODATA_HEADERS, ...headers } };
}

/** Dataverse's error shape: `{ error: { code, message } }`. */
export function dvError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return jsonResponse(status, { error: { code, message } }, headers);
}

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  toResponse(): SimResponse {
    return dvError(this.status, this.code, this.message);
  }
}

export function header(request: SimRequest, name: string): string | undefined {
  return request.headers[name.toLowerCase()];
}

/** The preferences of a `Prefer` header: `odata.maxpagesize=10, return=representation`. */
export function preferences(request: SimRequest): Map<string, string> {
  const result = new Map<string, string>();
  for (const part of (header(request, "prefer") ?? "").split(",")) {
    const [name, value] = part.trim().split("=", 2);
    if (name) result.set(name.trim().toLowerCase(), (value ?? "").trim().replace(/^"|"$/g, ""));
  }
  return result;
}

/**
 * A query string as OData clients write it: `+` stays a plus (URLSearchParams would
 * turn it into a space and corrupt filter literals).
 */
export function parseQuery(search: string): URLSearchParams {
  const query = new URLSearchParams();
  for (const pair of search.replace(/^\?/, "").split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    try {
      query.append(decodeURIComponent(name), decodeURIComponent(value));
    } catch {
      throw new SimError(400, DV.badRequest, "Malformed percent-encoding in the query string.");
    }
  }
  return query;
}
