/**
 * Dataverse's service protection limits (per client: requests in a sliding window and
 * concurrent requests, answered with 429 + Retry-After) and injected faults.
 */
import type { DataverseCounters } from "./counters.js";
import { DV, dvError, type SimResponse } from "./http.js";

export interface Limits {
  readonly requestsPerWindow: number;
  readonly windowMs: number;
  readonly maxConcurrent: number;
  /** Fixed Retry-After; by default the time until the window has room again. */
  readonly retryAfterSeconds?: number;
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

export class Protection {
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly retryAfterUntil = new Map<string, number>();
  private totalInFlight = 0;

  constructor(
    private readonly limits: Limits | false,
    private readonly counters: () => DataverseCounters,
  ) {}

  /** Counts a request that came before the Retry-After this client was last given. */
  noteArrival(client: string): void {
    const until = this.retryAfterUntil.get(client);
    if (until === undefined) return;
    if (Date.now() < until) this.counters().retryAfterViolations += 1;
    else this.retryAfterUntil.delete(client);
  }

  noteThrottled(client: string, retryAfterSeconds: number | undefined): void {
    this.counters().throttled += 1;
    // A small grace absorbs timer granularity: a client that waits the full
    // Retry-After must not be counted as early.
    if (retryAfterSeconds !== undefined) this.retryAfterUntil.set(client, Date.now() + retryAfterSeconds * 1000 - 50);
  }

  /**
   * Admits a Web API request (an admitted request must be released) or answers 429.
   * `remaining` is what Dataverse reports in x-ms-ratelimit-burst-remaining-xrm-requests.
   */
  admit(client: string): { rejected?: SimResponse; remaining?: number } {
    const limits = this.limits;
    if (limits) {
      const now = Date.now();
      const window = (this.windows.get(client) ?? []).filter((t) => t > now - limits.windowMs);
      this.windows.set(client, window);
      const concurrent = this.inFlight.get(client) ?? 0;
      if (concurrent >= limits.maxConcurrent) {
        return this.reject(client, DV.tooManyConcurrent, `Number of concurrent requests exceeded the limit of ${limits.maxConcurrent}.`, limits.retryAfterSeconds ?? 1);
      }
      if (window.length >= limits.requestsPerWindow) {
        const untilRoom = Math.ceil(((window[0] ?? now) + limits.windowMs - now) / 1000);
        return this.reject(
          client,
          DV.tooManyRequests,
          `Number of requests exceeded the limit of ${limits.requestsPerWindow} over time window of ${Math.round(limits.windowMs / 1000)} seconds.`,
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

  release(client: string): void {
    this.inFlight.set(client, Math.max(0, (this.inFlight.get(client) ?? 1) - 1));
    this.totalInFlight = Math.max(0, this.totalInFlight - 1);
  }

  private reject(client: string, code: string, message: string, retryAfterSeconds: number): { rejected: SimResponse } {
    this.noteThrottled(client, retryAfterSeconds);
    return { rejected: dvError(429, code, message, { "Retry-After": String(retryAfterSeconds) }) };
  }
}

const isWebApi = (_method: string, path: string) => path.startsWith("/api/data/");

export class Faults {
  private queue: { left: number; fault: Fault }[] = [];

  failNext(count: number, fault: Fault): void {
    if (count > 0) this.queue.push({ left: count, fault });
  }

  clear(): void {
    this.queue = [];
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
