/**
 * Azure credentials for Key Vault, Table Storage and Meander's token scope.
 * In Azure: the user-assigned managed identity. With a client secret: an app
 * registration (the local stack points it at the simulator's token endpoint).
 * Otherwise DefaultAzureCredential (developer sign-in).
 */
import {
  type AccessToken,
  ClientSecretCredential,
  type ClientSecretCredentialOptions,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { FatalError, isNetworkError, SyncError, TransientError } from "../errors.js";
import type { Logger, TokenSource } from "../ports.js";

export interface AzureCredentialOptions {
  /** AZURE_CLIENT_ID of the user-assigned managed identity. */
  readonly managedIdentityClientId?: string;
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly authorityHost?: string;
  /** When given, the SDK's own retries (token endpoint unreachable) are logged. */
  readonly logger?: Logger;
}

type PipelinePolicy = NonNullable<ClientSecretCredentialOptions["additionalPolicies"]>[number]["policy"];

/**
 * The Azure SDK retries failed requests itself (token endpoint or vault
 * unreachable, 5xx, 429); this policy runs on every attempt and reports each
 * retry to operators in the same words as the rest of the service.
 */
export function retryLogPolicy(logger: Logger, side: string): PipelinePolicy {
  const failures = new WeakMap<object, { attempt: number; code?: string }>();
  return {
    name: "syncRetryLog",
    async sendRequest(request, next) {
      const state = failures.get(request) ?? { attempt: 0 };
      failures.set(request, state);
      // Only a failure makes the next attempt a retry: the vault's first answer,
      // 401 with the bearer challenge, is the normal flow.
      if (state.code) logger.warn("retrying after a transient failure", { side, attempt: ++state.attempt, code: state.code });
      state.code = undefined;
      try {
        const response = await next(request);
        if (response.status === 408 || response.status === 429 || response.status >= 500) state.code = `HTTP_${response.status}`;
        return response;
      } catch (error) {
        const e = error as { code?: unknown; statusCode?: unknown; name?: string };
        state.code = typeof e.code === "string" ? e.code : typeof e.statusCode === "number" ? `HTTP_${e.statusCode}` : (e.name ?? "error");
        throw error;
      }
    },
  };
}

const isMicrosoftHost = (url: string) => /(^|\.)(microsoftonline\.(com|us)|chinacloudapi\.cn|microsoftonline\.cn)$/i.test(new URL(url).hostname);

export function createAzureCredential(options: AzureCredentialOptions = {}): TokenCredential {
  const logged = options.logger ? { additionalPolicies: [{ policy: retryLogPolicy(options.logger, "identity"), position: "perRetry" as const }] } : {};
  if (options.managedIdentityClientId) {
    return new ManagedIdentityCredential({ clientId: options.managedIdentityClientId, ...logged });
  }
  if (options.clientSecret) {
    if (!options.tenantId || !options.clientId) {
      throw new FatalError("SETTING_INVALID", "a client secret credential needs a tenant id and a client id");
    }
    const host = options.authorityHost;
    return new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
      ...logged,
      ...(host ? { authorityHost: host } : {}),
      // Instance discovery asks login.microsoftonline.com about the host; a
      // non-Microsoft host (the local simulator) must be trusted as given.
      ...(host && !isMicrosoftHost(host) ? { disableInstanceDiscovery: true } : {}),
    });
  }
  return new DefaultAzureCredential({ ...logged, ...(options.tenantId ? { tenantId: options.tenantId } : {}) });
}

/** Refresh this long before expiry (or at half-life for short tokens) so a token never runs out mid-request. */
const EARLY_REFRESH_MS = 5 * 60_000;
const refreshAt = (fetchedAt: number, expiresAt: number) => {
  const lifetime = expiresAt - fetchedAt;
  return fetchedAt + Math.max(lifetime - EARLY_REFRESH_MS, lifetime / 2);
};

/**
 * A credential failure as a typed error: the identity endpoint down or
 * overloaded is transient, anything else (no identity, refused) stops the run.
 * Only the error's class name travels; identity messages can be long and echo settings.
 */
export function tokenFailure(scope: string, error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (isNetworkError(error) || (status !== undefined && (status >= 500 || status === 429))) {
    return new TransientError("TOKEN_UNAVAILABLE", `token for scope ${scope}: identity endpoint unavailable${status ? ` (${status})` : ""}`, { cause: error });
  }
  return new FatalError("TOKEN_FAILED", `token for scope ${scope}: ${(error as Error)?.name ?? "error"}${status ? ` (${status})` : ""}`, { cause: error });
}

/** A TokenSource over a credential: one token per scope, reused until near expiry; concurrent callers share a request. */
export function tokenSourceFromCredential(credential: TokenCredential, now: () => number = Date.now): TokenSource {
  const cache = new Map<string, { token: string; refreshAt: number }>();
  const inflight = new Map<string, Promise<{ token: string; refreshAt: number }>>();
  return {
    async getToken(scope: string): Promise<string> {
      const cached = cache.get(scope);
      if (cached && cached.refreshAt > now()) return cached.token;
      let pending = inflight.get(scope);
      if (!pending) {
        const fetchedAt = now();
        pending = credential
          .getToken(scope)
          .then(
            (token: AccessToken | null) => {
              if (!token) throw new FatalError("TOKEN_MISSING", `no token for scope ${scope}`);
              const entry = { token: token.token, refreshAt: refreshAt(fetchedAt, token.expiresOnTimestamp) };
              cache.set(scope, entry);
              return entry;
            },
            (error: unknown) => {
              throw tokenFailure(scope, error);
            },
          )
          .finally(() => inflight.delete(scope));
        inflight.set(scope, pending);
      }
      return (await pending).token;
    },
  };
}
