/**
 * Tokens for the Dataverse adapter: the client secret comes from the SecretSource,
 * the token from `authenticate` (MSAL's cache). After a 401 the adapter calls
 * `invalidate`: the secret is read fresh (it may have been rotated) and a new
 * MSAL application replaces the old one and its cache.
 */
import type { SecretSource } from "../../ports.js";
import { type AuthToken, authenticate, forgetApp, type PortalCredentials } from "./authenticate.js";

export interface PortalTokenProvider {
  readonly tenantId: string;
  readonly clientId: string;
  /** Increases on every invalidation; lets concurrent callers invalidate once. */
  readonly generation: number;
  getToken(): Promise<string>;
  /**
   * Drops the token and re-reads the secret. With `seenGeneration`, does nothing
   * when another caller has already invalidated since that generation.
   */
  invalidate(seenGeneration?: number): Promise<void>;
}

export interface PortalTokenProviderOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly dataverseUrl: string;
  readonly authorityHost?: string;
  /** The name of the client secret in the SecretSource (DATAVERSE_CLIENT_SECRET_NAME), or of the certificate. */
  readonly secretName: string;
  readonly secrets: SecretSource;
  /** The secret is a Key Vault certificate (PEM with its private key): MSAL signs a client assertion with it. */
  readonly certificate?: boolean;
}

export function createPortalTokenProvider(options: PortalTokenProviderOptions): PortalTokenProvider {
  let generation = 0;
  let secret: Promise<string> | undefined;
  let invalidating: Promise<void> | undefined;

  const credentials = (clientSecret: string): PortalCredentials => ({
    tenantId: options.tenantId,
    clientId: options.clientId,
    clientSecret,
    ...(options.certificate ? { certificate: true } : {}),
    dataverseUrl: options.dataverseUrl,
    ...(options.authorityHost ? { authorityHost: options.authorityHost } : {}),
  });

  const readSecret = (fresh: boolean) => {
    const read = options.secrets.getSecret(options.secretName, fresh ? { fresh: true } : undefined);
    // A failed read is not remembered: the next call tries again.
    read.catch(() => {
      if (secret === read) secret = undefined;
    });
    secret = read;
    return read;
  };

  return {
    tenantId: options.tenantId,
    clientId: options.clientId,
    get generation() {
      return generation;
    },
    async getToken(): Promise<string> {
      if (invalidating) await invalidating;
      const token: AuthToken = await authenticate(credentials(await (secret ?? readSecret(false))));
      return token.accessToken;
    },
    async invalidate(seenGeneration?: number): Promise<void> {
      if (invalidating) return invalidating;
      if (seenGeneration !== undefined && seenGeneration !== generation) return;
      generation++;
      invalidating = (async () => {
        if (secret) {
          const old = await secret.catch(() => undefined);
          if (old !== undefined) forgetApp(credentials(old));
        }
        const fresh = await readSecret(true);
        forgetApp(credentials(fresh));
      })().finally(() => {
        invalidating = undefined;
      });
      return invalidating;
    },
  };
}
