/**
 * Dataverse tokens from an Azure credential: in Azure the Function App's user-assigned
 * managed identity, registered in Dataverse as the application user
 * (DATAVERSE_AUTH=managedIdentity). No secret or certificate exists to rotate; the
 * Azure SDK caches the token and renews it before it expires.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-single-tenant-server-server-authentication
 */
import type { TokenCredential } from "@azure/core-auth";
import { AuthError, TransientError } from "../../errors.js";
import type { PortalTokenProvider } from "./tokenProvider.js";

export interface IdentityTokenProviderOptions {
  readonly tenantId: string;
  /** The identity's client id (the application user in Dataverse). */
  readonly clientId: string;
  readonly dataverseUrl: string;
  readonly credential: TokenCredential;
}

export function createIdentityTokenProvider(options: IdentityTokenProviderOptions): PortalTokenProvider {
  const scope = `${new URL(options.dataverseUrl).origin}/.default`;
  let generation = 0;
  return {
    tenantId: options.tenantId,
    clientId: options.clientId,
    get generation() {
      return generation;
    },
    async getToken(): Promise<string> {
      let token: Awaited<ReturnType<TokenCredential["getToken"]>>;
      try {
        token = await options.credential.getToken(scope);
      } catch (error) {
        const name = (error as Error)?.name ?? "error";
        // The SDK has already retried an unreachable endpoint; what is left is refused or unavailable.
        if (name === "AggregateAuthenticationError" || name === "CredentialUnavailableError") {
          throw new AuthError(options.tenantId, options.clientId, `the managed identity gave no token (${name})`);
        }
        throw new TransientError("AUTH_UNAVAILABLE", `the managed identity's token endpoint failed (${name})`);
      }
      if (!token?.token) throw new AuthError(options.tenantId, options.clientId, "the managed identity gave no token");
      return token.token;
    },
    async invalidate(seenGeneration?: number): Promise<void> {
      // The SDK renews the identity's token itself; a 401 after that is a missing application user.
      if (seenGeneration === undefined || seenGeneration === generation) generation++;
    },
  };
}
