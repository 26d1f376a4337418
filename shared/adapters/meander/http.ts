/**
 * One HTTP call to Meander's sync contract: bearer token, JSON, problem details
 * mapped to the typed errors of errors.ts, every attempt inside the shared
 * resilience policy (retries, Retry-After gate, breaker, bulkhead).
 */
import { errorFromStatus, isNetworkError, parseRetryAfter, TransientError } from "../../errors.js";
import type { TokenSource } from "../../ports.js";
import { createResilience, type Resilience, type ResilienceEvents, type ResilienceOptions } from "../../resilience.js";

export interface MeanderHttpOptions {
  readonly baseUrl: string;
  readonly tokenSource: TokenSource;
  readonly scope: string;
  readonly resilience?: Partial<ResilienceOptions>;
  readonly events?: ResilienceEvents;
  /** One attempt's limit; a timeout is transient and retried. */
  readonly requestTimeoutMs?: number;
}

export interface CallOptions {
  readonly query?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

interface ProblemBody {
  code?: unknown;
  errors?: { pointer?: unknown; parameter?: unknown }[];
}

/** The problem's code and the names of the fields it blames; its free text may hold personal data and is dropped. */
async function describeFailure(response: Response, what: string): Promise<{ code?: string; message: string }> {
  let problem: ProblemBody | undefined;
  try {
    problem = (await response.json()) as ProblemBody;
  } catch {
    problem = undefined;
  }
  const code = typeof problem?.code === "string" && /^[A-Z0-9_]{1,64}$/.test(problem.code) ? problem.code : undefined;
  const fields = (Array.isArray(problem?.errors) ? problem.errors : [])
    .map((e) => (typeof e?.pointer === "string" ? e.pointer : typeof e?.parameter === "string" ? `?${e.parameter}` : undefined))
    .filter((f): f is string => f !== undefined && f.length < 200)
    .slice(0, 10);
  const message = `meander ${what}: HTTP ${response.status}${code ? ` ${code}` : ""}${fields.length > 0 ? ` (fields: ${fields.join(", ")})` : ""}`;
  return { code, message };
}

export class MeanderHttp {
  private readonly resilience: Resilience;
  private readonly baseUrl: string;

  constructor(private readonly options: MeanderHttpOptions) {
    this.resilience = createResilience(options.resilience, options.events);
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  /** Milliseconds the Retry-After gate still holds every call back. */
  get throttledForMs(): number {
    return this.resilience.throttledForMs;
  }

  call<T>(what: string, method: "GET" | "POST", path: string, options: CallOptions = {}): Promise<T> {
    return this.resilience.execute(() => this.attempt<T>(what, method, path, options), options.signal);
  }

  private async attempt<T>(what: string, method: string, path: string, options: CallOptions): Promise<T> {
    const token = await this.options.tokenSource.getToken(this.options.scope);
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const url = `${this.baseUrl}${path}${options.query ? `?${options.query}` : ""}`;
    try {
      const response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json, application/problem+json",
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
      if (!response.ok) {
        const { code, message } = await describeFailure(response, what);
        throw errorFromStatus(response.status, code, message, parseRetryAfter(response.headers.get("retry-after")));
      }
      return (await response.json()) as T;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (timeout.aborted) throw new TransientError("TIMEOUT", `meander ${what}: no answer within the request timeout`, { cause: error });
      if (error instanceof SyntaxError) throw new TransientError("BAD_RESPONSE", `meander ${what}: the response was not JSON`);
      // fetch rejects only for network-level failures here (its TypeError wraps the socket error).
      if (isNetworkError(error) || error instanceof TypeError) throw new TransientError("NETWORK", `meander ${what}: network error`, { cause: error });
      throw error;
    }
  }
}
