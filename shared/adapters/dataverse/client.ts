/**
 * The shared machinery of the Dataverse adapter: one dynamics-web-api client, the
 * resilience policy around every call, and the 401 handling (refresh the token
 * once, then give up with an AuthError).
 */
import { DynamicsWebApi } from "dynamics-web-api";
import { AuthError, SyncError, TransientError } from "../../errors.js";
import type { Logger } from "../../ports.js";
import { createResilience, defaultResilience, type Resilience, type ResilienceEvents, type ResilienceOptions } from "../../resilience.js";
import type { PortalTokenProvider } from "../auth/tokenProvider.js";
import { watchDopHint } from "./dopHint.js";
import { mapDataverseError, unauthorized } from "./errors.js";
import { SlowStart } from "./slowStart.js";

export const API_VERSION = "9.2";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DataverseClientOptions {
  /** The environment, e.g. https://hlf.crm4.dynamics.com (DATAVERSE_URL). */
  readonly url: string;
  readonly tokenProvider: PortalTokenProvider;
  readonly resilience?: Partial<ResilienceOptions>;
  readonly events?: ResilienceEvents;
  /**
   * Deadline of one attempt (default 125 s). Dataverse stops a request at 2 minutes,
   * so past that no answer will come, and a batch read back after a lost answer
   * shows its final state. Also the only way out of a connection that dies after
   * the response headers: dynamics-web-api 2.5.0 then never settles its promise.
   */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * Dataverse allows 52 concurrent requests per user; 8 in flight is far from
 * that and already saturates what one run can feed. The environment's
 * `x-ms-dop-hint` lowers it further when it asks for fewer (dopHint.ts).
 */
const DATAVERSE_RESILIENCE: Partial<ResilienceOptions> = { concurrency: 8 };

export class DataverseClient {
  readonly api: DynamicsWebApi;
  readonly apiRoot: string;
  readonly resilience: Resilience;
  /** The backoff of the policy, for retries the policy does not make itself (failed parts of an answered batch). */
  readonly backoff: { readonly baseDelayMs: number; readonly maxDelayMs: number };
  private readonly tokens: PortalTokenProvider;
  private readonly logger?: Logger;
  private readonly timeoutMs: number;
  private readonly events: ResilienceEvents;
  private readonly slowStart: SlowStart;

  constructor(options: DataverseClientOptions) {
    const serverUrl = options.url.endsWith("/") ? options.url : `${options.url}/`;
    this.tokens = options.tokenProvider;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? 125_000;
    this.events = options.events ?? {};
    this.api = new DynamicsWebApi({
      serverUrl,
      dataApi: { version: API_VERSION },
      // The client calls this right before it writes each request: the last moment
      // to hold back a request that passed the throttle gate before another call
      // was answered 429 (it would otherwise go out inside the Retry-After).
      onTokenRefresh: async () => {
        const token = await this.tokens.getToken();
        for (let wait = this.resilience.throttledForMs; wait > 0; wait = this.resilience.throttledForMs) await sleep(wait);
        return token;
      },
      // Without it the library swallows 412s of update/delete into `false`.
      propagateErrors: true,
      timeout: this.timeoutMs,
    });
    this.apiRoot = `${new URL(`api/data/v${API_VERSION}`, serverUrl).toString()}/`;
    const policy = { ...DATAVERSE_RESILIENCE, ...options.resilience };
    this.resilience = createResilience(policy, options.events);
    this.backoff = { baseDelayMs: policy.baseDelayMs ?? defaultResilience.baseDelayMs, maxDelayMs: policy.maxDelayMs ?? defaultResilience.maxDelayMs };
    const setting = policy.concurrency ?? defaultResilience.concurrency;
    const hint = watchDopHint(serverUrl);
    let lastCap = setting;
    this.slowStart = new SlowStart(() => {
      const cap = Math.min(setting, hint() ?? setting);
      if (cap !== lastCap) {
        this.logger?.info("Dataverse's x-ms-dop-hint changes the calls in flight", { hint: hint(), setting, inFlight: cap });
        lastCap = cap;
      }
      return cap;
    });
  }

  /**
   * Runs one request under the resilience policy. `context` names the operation
   * for error messages (entity and id, never values). A 401 refreshes the token
   * and retries once; a second 401 is an AuthError.
   */
  async call<T>(
    context: string,
    fn: (api: DynamicsWebApi, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
    options: { onLostAnswer?: (code: string) => T } = {},
  ): Promise<T> {
    const attempt = () =>
      this.resilience.execute(async () => {
        await this.slowStart.acquire();
        try {
          const result = await this.withDeadline(context, fn, signal);
          this.slowStart.release("ok");
          return result;
        } catch (error) {
          const mapped = mapDataverseError(error, context);
          this.slowStart.release(mapped.retryAfterMs !== undefined ? "throttled" : "failed");
          // Sent, maybe applied, answer lost: the caller decides instead of a blind resend.
          if (options.onLostAnswer && mapped instanceof TransientError && (mapped.code === "TIMEOUT" || mapped.code === "NETWORK")) {
            return options.onLostAnswer(mapped.code);
          }
          throw mapped;
        }
      }, signal);
    const generation = this.tokens.generation;
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof SyncError) || error.status !== 401) throw error;
      this.logger?.warn("Dataverse answered 401: refreshing the token once", { operation: context });
      await this.tokens.invalidate(generation);
      try {
        return await attempt();
      } catch (second) {
        // The token endpoint refusing the fresh secret says so itself; Dataverse refusing a fresh token is ours to name.
        if (second instanceof AuthError) throw second;
        if (second instanceof SyncError && second.status === 401) throw unauthorized(this.tokens.tenantId, this.tokens.clientId, second);
        throw second;
      }
    }
  }

  /**
   * A write whose answer was lost is settled by reading back rather than by the
   * policy's blind retry; operators still see it as a retry, with its cause.
   */
  noteLostAnswer(context: string, round: number, code: string): void {
    this.logger?.warn("answer lost: reading back what was applied before sending again", { operation: context, round, code });
    this.events.onRetry?.(round, 0, code);
  }

  /**
   * A Retry-After that came in a part of an answered batch: nothing goes out before it,
   * and then one request first, as after a throttled call.
   */
  throttledFor(ms: number): void {
    this.resilience.pause?.(ms);
    this.slowStart.throttle();
  }

  /** A retry the policy does not see (failed parts of an answered batch), reported to operators as its own retries are. */
  noteRetry(round: number, delayMs: number, code: string): void {
    this.events.onRetry?.(round, delayMs, code);
  }

  /** One attempt, abandoned (and its request aborted) at the deadline or when the caller aborts. */
  private withDeadline<T>(context: string, fn: (api: DynamicsWebApi, signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    if (outer?.aborted) return Promise.reject(outer.reason);
    const controller = new AbortController();
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TransientError("TIMEOUT", `${context}: no answer within ${this.timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, this.timeoutMs);
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    return Promise.race([fn(this.api, controller.signal), deadline]).finally(() => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    });
  }
}
