/**
 * Dataverse's service protection limits (per client: requests and combined execution
 * time in a sliding window, concurrent requests; answered with 429 + Retry-After) and
 * injected faults.
 */
import type { DataverseCounters } from "./counters.js";
import { DV, dvError, type SimResponse } from "./http.js";

export interface Limits {
  readonly requestsPerWindow: number;
  readonly windowMs: number;
  readonly maxConcurrent: number;
  /** Fixed Retry-After; by default the time until the window has room again. */
  readonly retryAfterSeconds?: number;
  /** Combined execution time allowed per window (Dataverse: 20 minutes per 5 minutes); default unlimited. */
  readonly executionMsPerWindow?: number;
}

export interface Fault {
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterSeconds?: number;
  /**
   * A dropped connection. `true` (or "midResponse"): headers and the start of a body,
   * then the socket dies, the request not processed. "beforeResponse": the socket dies
   * with no answer, not processed. "afterProcessing": the request IS processed (writes
   * applied), then the socket dies with no answer, as when a reply is lost on the way.
   */
  readonly drop?: boolean | "midResponse" | "beforeResponse" | "afterProcessing";
  /** Hold the request this long before answering (normally, unless status/drop say otherwise). */
  readonly delayMs?: number;
  /** Which requests the fault hits; by default every Web API request (`/api/data/...`). */
  readonly match?: (method: string, path: string) => boolean;
}

/**
 * A failure of one operation inside a `$batch`, the rest of the batch answered: the
 * part gets this status (and Retry-After) and is not processed. A 429 part counts as
 * throttling the client, as a 429 answer to the whole request does.
 */
export interface PartFault {
  readonly status: number;
  /** Default by status, as for request faults (0x80072322 for 429). */
  readonly code?: string;
  readonly retryAfterSeconds?: number;
  /** Which operations the fault hits (method and path below the API root); by default every one. */
  readonly match?: (method: string, path: string) => boolean;
}

/**
 * Requests a client had already sent when its first 429 went out arrive within a few
 * milliseconds of it; they are not a failure to honour Retry-After.
 */
const IN_FLIGHT_GRACE_MS = 100;

interface Backoff {
  /** Until when the client was asked to wait. */
  readonly until: number;
  /** When the first 429 of this back-off went out. */
  readonly issuedAt: number;
  /** Connections that carried a 429: a request on one of them was sent knowing it. */
  readonly connections: WeakSet<object>;
}

export class Protection {
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  /** Per client: when each finished request ended and how long it ran. */
  private readonly executions = new Map<string, { end: number; ms: number }[]>();
  private readonly backoff = new Map<string, Backoff>();
  private totalInFlight = 0;

  constructor(
    private readonly limits: Limits | false,
    private readonly counters: () => DataverseCounters,
  ) {}

  /**
   * Counts a request that came before the Retry-After this client was last given, but
   * only one the client sent knowing it: one on the connection that carried the 429,
   * or one arriving after the grace that covers requests already on their way.
   */
  noteArrival(client: string, connection: object): void {
    const backoff = this.backoff.get(client);
    if (!backoff) return;
    const now = Date.now();
    if (now >= backoff.until) {
      this.backoff.delete(client);
      return;
    }
    if (backoff.connections.has(connection) || now - backoff.issuedAt > IN_FLIGHT_GRACE_MS) this.counters().retryAfterViolations += 1;
  }

  noteThrottled(client: string, retryAfterSeconds: number | undefined, connection: object): void {
    this.counters().throttled += 1;
    if (retryAfterSeconds === undefined) return;
    const now = Date.now();
    // A little slack absorbs timer granularity: a client that waits the full
    // Retry-After must not be counted as early.
    const until = now + retryAfterSeconds * 1000 - 50;
    const previous = this.backoff.get(client);
    const connections = previous && now < previous.until ? previous.connections : new WeakSet<object>();
    connections.add(connection);
    const ongoing = previous && now < previous.until ? previous : undefined;
    this.backoff.set(client, { until: Math.max(until, ongoing?.until ?? 0), issuedAt: ongoing?.issuedAt ?? now, connections });
  }

  /**
   * Admits a Web API request (an admitted request must be released) or answers 429.
   * `remaining` is what Dataverse reports in x-ms-ratelimit-burst-remaining-xrm-requests.
   */
  admit(client: string, connection: object): { rejected?: SimResponse; remaining?: number } {
    const limits = this.limits;
    if (limits) {
      const now = Date.now();
      const window = (this.windows.get(client) ?? []).filter((t) => t > now - limits.windowMs);
      this.windows.set(client, window);
      const concurrent = this.inFlight.get(client) ?? 0;
      if (concurrent >= limits.maxConcurrent) {
        return this.reject(
          client,
          connection,
          DV.tooManyConcurrent,
          `Number of concurrent requests exceeded the limit of ${limits.maxConcurrent}.`,
          limits.retryAfterSeconds ?? 1,
        );
      }
      if (window.length >= limits.requestsPerWindow) {
        const untilRoom = Math.ceil(((window[0] ?? now) + limits.windowMs - now) / 1000);
        return this.reject(
          client,
          connection,
          DV.tooManyRequests,
          `Number of requests exceeded the limit of ${limits.requestsPerWindow} over time window of ${Math.round(limits.windowMs / 1000)} seconds.`,
          limits.retryAfterSeconds ?? Math.max(1, untilRoom),
        );
      }
      const executions = (this.executions.get(client) ?? []).filter((e) => e.end > now - limits.windowMs);
      this.executions.set(client, executions);
      const used = executions.reduce((sum, e) => sum + e.ms, 0);
      if (limits.executionMsPerWindow !== undefined && used >= limits.executionMsPerWindow) {
        const untilRoom = Math.ceil(((executions[0]?.end ?? now) + limits.windowMs - now) / 1000);
        return this.reject(
          client,
          connection,
          DV.executionTime,
          `Combined execution time of incoming requests exceeded limit of ${limits.executionMsPerWindow} milliseconds over time window of ${Math.round(limits.windowMs / 1000)} seconds.`,
          limits.retryAfterSeconds ?? Math.max(1, untilRoom),
        );
      }
      window.push(now);
    }
    const remaining = limits ? Math.max(0, limits.requestsPerWindow - (this.windows.get(client)?.length ?? 0)) : undefined;
    this.inFlight.set(client, (this.inFlight.get(client) ?? 0) + 1);
    this.totalInFlight += 1;
    const counters = this.counters();
    counters.maxConcurrentSeen = Math.max(counters.maxConcurrentSeen, this.totalInFlight);
    return remaining === undefined ? {} : { remaining };
  }

  /** Ends an admitted request that ran `ms` milliseconds. */
  release(client: string, ms: number): void {
    if (this.limits && this.limits.executionMsPerWindow !== undefined) {
      const executions = this.executions.get(client) ?? [];
      executions.push({ end: Date.now(), ms });
      this.executions.set(client, executions);
    }
    this.inFlight.set(client, Math.max(0, (this.inFlight.get(client) ?? 1) - 1));
    this.totalInFlight = Math.max(0, this.totalInFlight - 1);
  }

  private reject(client: string, connection: object, code: string, message: string, retryAfterSeconds: number): { rejected: SimResponse } {
    this.noteThrottled(client, retryAfterSeconds, connection);
    return { rejected: dvError(429, code, message, { "Retry-After": String(retryAfterSeconds) }) };
  }
}

const isWebApi = (_method: string, path: string) => path.startsWith("/api/data/");

export class Faults {
  private queue: { left: number; fault: Fault }[] = [];
  private parts: { left: number; fault: PartFault }[] = [];

  failNext(count: number, fault: Fault): void {
    if (count > 0) this.queue.push({ left: count, fault });
  }

  /** The next `count` batch operations the fault matches fail with it. */
  failParts(count: number, fault: PartFault): void {
    if (count > 0) this.parts.push({ left: count, fault });
  }

  clear(): void {
    this.queue = [];
    this.parts = [];
  }

  /** The fault for this operation of a batch, if one is pending for it (consumes one use). */
  takePart(method: string, path: string): PartFault | undefined {
    const entry = this.parts.find((e) => e.fault.match?.(method, path) ?? true);
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.parts.splice(this.parts.indexOf(entry), 1);
    return entry.fault;
  }

  /** The fault for this request, if one is pending for it (consumes one use). */
  take(method: string, path: string): Fault | undefined {
    const entry = this.queue.find((e) => (e.fault.match ?? isWebApi)(method, path));
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.queue.splice(this.queue.indexOf(entry), 1);
    return entry.fault;
  }
}

export function faultResponse(fault: Fault & { status: number }): SimResponse {
  const code = fault.code ?? (fault.status === 429 ? DV.tooManyRequests : fault.status >= 500 ? DV.serverError : DV.badRequest);
  const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {};
  return dvError(fault.status, code, `Injected fault (HTTP ${fault.status}).`, headers);
}
