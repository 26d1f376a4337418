/**
 * Client-credentials tokens for Dataverse through @azure/msal-node.
 *
 * One ConfidentialClientApplication per (authority, client, secret) per process:
 * MSAL keeps the token cache inside the application object, so reusing it is what
 * makes a run cost one token request. Concurrent first calls share one request.
 */
import { createHash, X509Certificate } from "node:crypto";
import { ConfidentialClientApplication, AuthError as MsalAuthError, ServerError } from "@azure/msal-node";
import { AuthError, TransientError } from "../../errors.js";

export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";

export interface PortalCredentials {
  readonly tenantId: string;
  readonly clientId: string;
  /**
   * The client secret; or, with `certificate`, the PEM the Key Vault certificate is read
   * as (its private key and certificate), for an MSAL client assertion.
   */
  readonly clientSecret: string;
  readonly certificate?: boolean;
  /** The Dataverse environment, e.g. https://hlf.crm4.dynamics.com; the token scope is `<url>/.default`. */
  readonly dataverseUrl: string;
  /** Default https://login.microsoftonline.com; national clouds or the local simulator. */
  readonly authorityHost?: string;
}

export interface AuthToken {
  readonly accessToken: string;
  readonly expiresOn: Date;
}

const MICROSOFT_HOSTS = new Set(["login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn"]);

const apps = new Map<string, ConfidentialClientApplication>();
const inflight = new Map<string, Promise<AuthToken>>();

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/** The key of the app cache; the secret only as a hash so it never sits in a readable key. */
export function appKey(credentials: PortalCredentials): string {
  const authority = trimSlash(credentials.authorityHost ?? DEFAULT_AUTHORITY_HOST).toLowerCase();
  const secret = createHash("sha256").update(credentials.clientSecret).digest("hex").slice(0, 16);
  return `${authority}|${credentials.tenantId.toLowerCase()}|${credentials.clientId.toLowerCase()}|${secret}`;
}

/**
 * A Key Vault certificate read as a secret is a PEM with the private key and the
 * certificate chain; MSAL signs its client assertion with the key and names the
 * certificate by its SHA-256 thumbprint.
 * https://learn.microsoft.com/en-us/entra/msal/javascript/node/certificate-credentials
 */
export function certificateCredential(pem: string): { thumbprintSha256: string; privateKey: string; x5c: string } {
  const privateKey = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!privateKey || !certificate) throw new Error("the Dataverse certificate is not a PEM with a private key and a certificate");
  const x509 = new X509Certificate(certificate);
  // Entra ID verifies client assertions signed PS256 / RS256 only.
  if (x509.publicKey.asymmetricKeyType !== "rsa")
    throw new Error(`the Dataverse certificate must have an RSA key (it has ${x509.publicKey.asymmetricKeyType ?? "another"} key)`);
  const thumbprintSha256 = x509.fingerprint256.replaceAll(":", "");
  return { thumbprintSha256, privateKey, x5c: certificate };
}

function buildApp(credentials: PortalCredentials): ConfidentialClientApplication {
  const host = trimSlash(credentials.authorityHost ?? DEFAULT_AUTHORITY_HOST);
  const hostname = new URL(host).host;
  return new ConfidentialClientApplication({
    auth: {
      clientId: credentials.clientId,
      ...(credentials.certificate ? { clientCertificate: certificateCredential(credentials.clientSecret) } : { clientSecret: credentials.clientSecret }),
      authority: `${host}/${credentials.tenantId}`,
      // A non-Microsoft host (the local simulator, ADFS) is trusted as given:
      // MSAL then skips instance discovery, which would otherwise go to the internet.
      ...(MICROSOFT_HOSTS.has(hostname.toLowerCase()) ? {} : { knownAuthorities: [hostname] }),
    },
  });
}

/** Forgets the application (and so its token cache) for these credentials: the next call builds a new one. */
export function forgetApp(credentials: PortalCredentials): void {
  apps.delete(appKey(credentials));
}

/** A token for `<dataverseUrl>/.default`, from MSAL's cache while it is valid. */
export async function authenticate(credentials: PortalCredentials): Promise<AuthToken> {
  const key = appKey(credentials);
  const pending = inflight.get(key);
  if (pending) return pending;
  const request = acquire(key, credentials).finally(() => inflight.delete(key));
  inflight.set(key, request);
  return request;
}

async function acquire(key: string, credentials: PortalCredentials): Promise<AuthToken> {
  let app = apps.get(key);
  if (!app) {
    app = buildApp(credentials);
    apps.set(key, app);
  }
  try {
    const result = await app.acquireTokenByClientCredential({ scopes: [`${trimSlash(credentials.dataverseUrl)}/.default`] });
    if (!result?.accessToken) throw new AuthError(credentials.tenantId, credentials.clientId, "no token in the response");
    return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? new Date(Date.now() + 5 * 60_000) };
  } catch (error) {
    throw authFailure(credentials, error);
  }
}

/**
 * Maps an MSAL failure to our errors. Only MSAL's error code travels: the
 * server's description can echo request parameters.
 */
export function authFailure(credentials: Pick<PortalCredentials, "tenantId" | "clientId">, error: unknown): Error {
  if (error instanceof AuthError || error instanceof TransientError) return error;
  const { tenantId, clientId } = credentials;
  if (error instanceof ServerError) {
    const status = error.status;
    if (status !== undefined && (status >= 500 || status === 429)) {
      return new TransientError("AUTH_UNAVAILABLE", `token endpoint answered ${status} for tenant ${tenantId}`, { status });
    }
    return new AuthError(tenantId, clientId, `token request refused (${error.errorCode || "server_error"})`, { status: status ?? 401 });
  }
  if (error instanceof MsalAuthError) {
    if (["network_error", "no_network_connectivity"].includes(error.errorCode)) {
      return new TransientError("AUTH_UNAVAILABLE", `token endpoint unreachable for tenant ${tenantId}`);
    }
    return new AuthError(tenantId, clientId, `token request failed (${error.errorCode})`);
  }
  return new AuthError(tenantId, clientId, `token request failed (${(error as Error)?.name ?? "error"})`);
}
