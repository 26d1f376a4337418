/**
 * The simulator's rate limiter: a fixed window of requests, then 429 with Retry-After.
 * Requests that arrive before that time has passed are refused again and counted as
 * violations, except those already in flight when the throttling began (the grace).
 */
export interface LimiterOptions {
  requestsPerWindow: number;
  windowMs: number;
  /** Fixed Retry-After; by default the rest of the window. */
  retryAfterSeconds?: number;
}

export type Verdict = { admitted: true } | { admitted: false; retryAfterSeconds: number; violation: boolean };

export class Limiter {
  private windowStart = 0;
  private count = 0;
  private since = 0;
  private until = 0;

  constructor(
    private readonly limits: LimiterOptions | undefined,
    private readonly graceMs: number,
  ) {}

  /** Starts (or extends) a wait, as a throttling answer with Retry-After does. */
  hold(at: number, seconds: number): void {
    if (at >= this.until) this.since = at;
    this.until = Math.max(this.until, at + seconds * 1000);
  }

  admit(at: number): Verdict {
    if (at < this.until) {
      return { admitted: false, retryAfterSeconds: Math.ceil((this.until - at) / 1000), violation: at >= this.since + this.graceMs };
    }
    if (!this.limits) return { admitted: true };
    if (at - this.windowStart >= this.limits.windowMs) {
      this.windowStart = at;
      this.count = 0;
    }
    this.count += 1;
    if (this.count <= this.limits.requestsPerWindow) return { admitted: true };
    const seconds = this.limits.retryAfterSeconds ?? Math.max(1, Math.ceil((this.windowStart + this.limits.windowMs - at) / 1000));
    this.hold(at, seconds);
    return { admitted: false, retryAfterSeconds: seconds, violation: false };
  }
}
