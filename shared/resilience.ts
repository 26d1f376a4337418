/**
 * One resilience policy for every outbound call to either system, built on cockatiel:
 * a throttle gate that honours Retry-After for all callers at once, retries with
 * decorrelated jitter for transient failures, a circuit breaker and a bulkhead.
 *
 * Callers throw typed errors (see errors.ts); only `TransientError` is retried.
 */
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  ConsecutiveBreaker,
  circuitBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  handleType,
  type IBackoff,
  bulkhead as makeBulkhead,
  retry,
  wrap,
} from "cockatiel";
import { TransientError } from "./errors.js";

export interface ResilienceOptions {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** First backoff delay for 5xx and network errors. */
  baseDelayMs: number;
  /** Cap of one backoff delay (Retry-After is honoured beyond it). */
  maxDelayMs: number;
  /** Concurrent calls in flight (Dataverse allows 52 per user). */
  concurrency: number;
  /** Consecutive calls that failed after all their retries, which open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit waits before letting one call through. */
  halfOpenAfterMs: number;
}

export const defaultResilience: ResilienceOptions = {
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  concurrency: 8,
  breakerThreshold: 10,
  halfOpenAfterMs: 15_000,
};

export interface ResilienceEvents {
  /** Called when a response asked us to wait (429 / 503 with Retry-After). */
  onThrottle?(retryAfterMs: number): void;
  onRetry?(attempt: number, delayMs: number, code: string): void;
  onBreak?(): void;
}

export interface Resilience {
  execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Milliseconds until the throttle gate opens (0 when open). */
  readonly throttledForMs: number;
  /**
   * Closes the throttle gate for `ms` without a failed call: for a Retry-After
   * that arrived inside a successful response (one throttled part of a batch).
   */
  pause?(ms: number): void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export function createResilience(options: Partial<ResilienceOptions> = {}, events: ResilienceEvents = {}): Resilience {
  const o = { ...defaultResilience, ...options };
  // Once the server says "wait", nobody sends anything before that time: a
  // request inside the window counts against us and prolongs the throttling.
  let gateOpensAt = 0;

  const jitter = new ExponentialBackoff({ initialDelay: o.baseDelayMs, maxDelay: o.maxDelayMs });
  const backoff = new DelegateBackoff<{ attempt: number; result: unknown }, IBackoff<unknown> | undefined>((context, state) => {
    const next = state ? state.next(undefined) : jitter.next();
    const error = (context.result as { error?: unknown }).error;
    const retryAfter = error instanceof TransientError ? error.retryAfterMs : undefined;
    // The gate does the Retry-After wait; the backoff only adds jitter for 5xx/network errors.
    return { delay: retryAfter !== undefined ? 0 : next.duration, state: next };
  });

  const retryPolicy = retry(handleType(TransientError), { maxAttempts: o.maxAttempts - 1, backoff });
  retryPolicy.onRetry((event) => {
    const code = "error" in event && event.error instanceof TransientError ? event.error.code : "unknown";
    events.onRetry?.(event.attempt, event.delay, code);
  });
  const breaker = circuitBreaker(
    handleType(TransientError, (e) => e.retryAfterMs === undefined),
    {
      halfOpenAfter: o.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(o.breakerThreshold),
    },
  );
  breaker.onBreak(() => events.onBreak?.());
  const bulkhead = makeBulkhead(o.concurrency, Number.MAX_SAFE_INTEGER);
  // The breaker sees calls, not attempts: a call that succeeds on a retry (a connection reset
  // on a pooled socket, a busy emulator) never counts towards opening the circuit.
  const policy = wrap(breaker, retryPolicy, bulkhead);

  async function attempt<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // Wait for the gate inside the bulkhead slot, and again if another caller
    // was throttled while we waited.
    while (Date.now() < gateOpensAt) await sleep(gateOpensAt - Date.now(), signal);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof TransientError && error.retryAfterMs !== undefined) {
        gateOpensAt = Math.max(gateOpensAt, Date.now() + error.retryAfterMs);
        events.onThrottle?.(error.retryAfterMs);
      }
      throw error;
    }
  }

  return {
    async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      try {
        return await policy.execute(() => attempt(fn, signal), signal);
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new TransientError("CIRCUIT_OPEN", "too many consecutive failures: calls paused", { cause: error });
        }
        if (error instanceof BulkheadRejectedError) {
          throw new TransientError("BULKHEAD_FULL", "too many calls queued", { cause: error });
        }
        throw error;
      }
    },
    get throttledForMs() {
      return Math.max(0, gateOpensAt - Date.now());
    },
    pause(ms: number) {
      gateOpensAt = Math.max(gateOpensAt, Date.now() + ms);
      events.onThrottle?.(ms);
    },
  };
}
