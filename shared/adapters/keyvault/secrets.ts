/**
 * Secrets for the service. In Azure: Key Vault, read by name only (the identity
 * needs "get", never "list"), cached in memory, re-read with `fresh` after a
 * rotation. Locally (no KEY_VAULT_URL): a value from the local settings.
 *
 * Errors name the secret and the vault, never a value.
 */
import type { TokenCredential } from "@azure/identity";
import { SecretClient, type SecretClientOptions } from "@azure/keyvault-secrets";
import { FatalError, isNetworkError, TransientError } from "../../errors.js";
import type { Logger, SecretSource } from "../../ports.js";
import { retryLogPolicy } from "../identity.js";

const isLoopback = (url: string) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(url).hostname);

export class KeyVaultSecretSource implements SecretSource {
  private readonly client: SecretClient;
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    readonly vaultUrl: string,
    credential: TokenCredential,
    options: SecretClientOptions = {},
    logger?: Logger,
  ) {
    // The SDK checks that the challenge's resource (vault.azure.net) matches the
    // vault's host; a vault on a loopback address can only be the local simulator.
    const local = isLoopback(vaultUrl);
    this.client = new SecretClient(vaultUrl, credential, {
      ...(local ? { disableChallengeResourceVerification: true } : {}),
      ...options,
      additionalPolicies: [
        ...(options.additionalPolicies ?? []),
        ...(logger ? [{ policy: retryLogPolicy(logger, "keyvault"), position: "perRetry" as const }] : []),
      ],
    });
  }

  getSecret(name: string, options: { fresh?: boolean } = {}): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && !options.fresh) return cached;
    const read = this.read(name);
    this.cache.set(name, read);
    read.catch(() => {
      if (this.cache.get(name) === read) this.cache.delete(name);
    });
    return read;
  }

  private async read(name: string): Promise<string> {
    try {
      const secret = await this.client.getSecret(name);
      if (secret.value === undefined || secret.value === "") {
        throw new FatalError("SECRET_EMPTY", `secret ${name} in vault ${this.vaultUrl} has no value`);
      }
      return secret.value;
    } catch (error) {
      throw this.failure(name, error);
    }
  }

  private failure(name: string, error: unknown): Error {
    if (error instanceof FatalError || error instanceof TransientError) return error;
    const where = `secret ${name} in vault ${this.vaultUrl}`;
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 404) return new FatalError("SECRET_NOT_FOUND", `${where} does not exist`, { status });
    if (status === 401 || status === 403) return new FatalError("SECRET_FORBIDDEN", `${where}: access denied (${status})`, { status });
    if (status === 429 || (status !== undefined && status >= 500) || isNetworkError(error)) {
      return new TransientError("SECRET_UNAVAILABLE", `${where}: vault unavailable${status ? ` (${status})` : ""}`, { ...(status ? { status } : {}) });
    }
    // @azure/identity reports a token endpoint it could not reach (or that MSAL holds back after
    // a 5xx) as AuthenticationRequiredError: an outage, so the next run tries again.
    const kind = (error as Error)?.name ?? "error";
    if (kind === "AuthenticationRequiredError") {
      return new TransientError("SECRET_UNAVAILABLE", `${where}: no token for the vault (token endpoint unreachable or throttled)`);
    }
    // Other credential failures surface here too (CredentialUnavailableError, AuthenticationError).
    return new FatalError("SECRET_READ_FAILED", `${where}: ${kind}${status ? ` (${status})` : ""}`, { ...(status ? { status } : {}) });
  }
}

/** Local use only: secrets from app settings (local.settings.json), keyed by secret name. */
export class LocalSecretSource implements SecretSource {
  private logged = false;

  constructor(
    private readonly values: Readonly<Record<string, string | undefined>>,
    private readonly logger?: Logger,
  ) {}

  async getSecret(name: string, _options?: { fresh?: boolean }): Promise<string> {
    if (!this.logged) {
      this.logged = true;
      this.logger?.warn("KEY_VAULT_URL is not set: secrets come from local settings (local use only)");
    }
    const value = this.values[name];
    if (value === undefined || value === "") {
      throw new FatalError("SECRET_NOT_FOUND", `secret ${name} is not in the local settings (KEY_VAULT_URL unset)`);
    }
    return value;
  }
}

export interface SecretSourceOptions {
  /** KEY_VAULT_URL; unset selects the local source. */
  readonly keyVaultUrl?: string;
  readonly credential?: TokenCredential;
  /** For the local source: secret name to value (e.g. DATAVERSE_CLIENT_SECRET under its secret name). */
  readonly localValues?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly clientOptions?: SecretClientOptions;
}

export function createSecretSource(options: SecretSourceOptions): SecretSource {
  if (options.keyVaultUrl) {
    if (!options.credential) throw new FatalError("SETTING_INVALID", "a credential is needed to read secrets from Key Vault");
    return new KeyVaultSecretSource(options.keyVaultUrl, options.credential, options.clientOptions, options.logger);
  }
  return new LocalSecretSource(options.localValues ?? {}, options.logger);
}
