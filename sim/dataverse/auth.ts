/**
 * A local Entra ID for the client credentials flow: the OpenID metadata MSAL fetches,
 * the v2.0 token endpoint, and the bearer-token check of the Web API and Key Vault.
 * Tokens are opaque random strings; the simulator remembers whose they are.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import jwt from "jsonwebtoken";
import type { SimResponse } from "./http.js";

export const VAULT_RESOURCE = "https://vault.azure.net";

interface IssuedToken {
  readonly clientId: string;
  /** The resource the token is for (the scope without `/.default`). */
  readonly resource: string;
  readonly expiresAt: number;
}

/** Entra ID's error body: `{ error, error_description, error_codes, ... }`. */
function aadError(status: number, error: string, code: number, description: string): SimResponse {
  const now = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
    body: JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomBytes(8).toString("hex")}\r\nTimestamp: ${now}`,
      error_codes: [code],
      timestamp: now,
    }),
  };
}

const json = (body: unknown): SimResponse => ({
  status: 200,
  headers: { "Content-Type": "application/json; charset=utf-8" },
  body: JSON.stringify(body),
});

/**
 * An app registration: a client secret, or a certificate (PEM, public part only) whose
 * private key signs the client's assertions; or a managed identity, which has neither and
 * gets its tokens from the host's identity endpoint.
 */
export type SimClient =
  | { readonly clientId: string; readonly clientSecret: string }
  | { readonly clientId: string; readonly certificate: string }
  | { readonly clientId: string; readonly managedIdentity: true };

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export class Authority {
  private readonly secrets = new Map<string, string>();
  private readonly certificates = new Map<string, X509Certificate>();
  private readonly identities = new Set<string>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    readonly tenantId: string,
    private readonly authorityHost: string,
    private readonly tokenLifetimeSeconds: number,
    clients: readonly SimClient[],
    /** The resources this tenant knows; undefined: any (the stand-ins share one authority). */
    private readonly resources?: readonly string[],
  ) {
    for (const client of clients) {
      if ("clientSecret" in client) this.secrets.set(client.clientId, client.clientSecret);
      else if ("certificate" in client) this.certificates.set(client.clientId, new X509Certificate(client.certificate));
      else this.identities.add(client.clientId);
    }
  }

  /** Old secret refused from now on; tokens issued to the client are revoked. */
  rotateClientSecret(clientId: string, newSecret: string): void {
    this.secrets.set(clientId, newSecret);
    for (const [token, issued] of this.tokens) if (issued.clientId === clientId) this.tokens.delete(token);
  }

  private tenantOk(tenant: string): boolean {
    return tenant.toLowerCase() === this.tenantId.toLowerCase() || tenant === "organizations";
  }

  openIdConfiguration(tenant: string): SimResponse {
    if (!this.tenantOk(tenant)) return aadError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
    const base = `${this.authorityHost}/${this.tenantId}`;
    return json({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${this.authorityHost}/${this.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.authorityHost}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "tid", "ver"],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
    });
  }

  /** What MSAL asks when the authority is not in `knownAuthorities`. */
  instanceDiscovery(): SimResponse {
    const host = new URL(this.authorityHost).host;
    return json({
      tenant_discovery_endpoint: `${this.authorityHost}/${this.tenantId}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  jwks(): SimResponse {
    return json({ keys: [] });
  }

  /** `POST /{tenant}/oauth2/v2.0/token` with a form body. */
  token(tenant: string, form: URLSearchParams): { response: SimResponse; issued: boolean } {
    const fail = (response: SimResponse) => ({ response, issued: false });
    if (!this.tenantOk(tenant)) return fail(aadError(400, "invalid_request", 90002, `Tenant '${tenant}' not found.`));
    if (form.get("grant_type") !== "client_credentials") {
      return fail(aadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."));
    }
    const clientId = form.get("client_id") ?? "";
    const refused = form.has("client_assertion") ? this.assertionRefused(tenant, clientId, form) : this.secretRefused(clientId, form.get("client_secret"));
    if (refused) return fail(refused);
    const scope = (form.get("scope") ?? "").split(" ").find((s) => s.endsWith("/.default"));
    if (!scope)
      return fail(
        aadError(
          400,
          "invalid_scope",
          1002012,
          "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        ),
      );
    const resource = scope.slice(0, -"/.default".length).replace(/\/$/, "");
    if (this.resources && !this.resources.some((known) => sameResource(known, resource))) {
      // A real tenant has no service principal for another system's API.
      return fail(aadError(400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}.`));
    }
    const accessToken = this.issue(clientId, resource);
    return {
      response: json({ token_type: "Bearer", expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: accessToken }),
      issued: true,
    };
  }

  private issue(clientId: string, resource: string): string {
    const accessToken = randomBytes(32).toString("base64url");
    this.tokens.set(accessToken, { clientId, resource, expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000 });
    return accessToken;
  }

  private secretRefused(clientId: string, secret: string | null): SimResponse | undefined {
    const expected = this.secrets.get(clientId);
    if (expected === undefined) {
      if (this.certificates.has(clientId))
        return aadError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
      return aadError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    }
    if (secret === expected) return undefined;
    return aadError(
      401,
      "invalid_client",
      7000215,
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
    );
  }

  /**
   * A certificate credential: a JWT signed with the certificate's private key, naming the
   * certificate by its thumbprint, for this tenant's token endpoint, issued by and about
   * the client, valid now.
   * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
   */
  private assertionRefused(tenant: string, clientId: string, form: URLSearchParams): SimResponse | undefined {
    if (form.get("client_assertion_type") !== JWT_BEARER)
      return aadError(400, "invalid_request", 50027, "Invalid JWT token. The client_assertion_type is not supported.");
    const certificate = this.certificates.get(clientId);
    if (!certificate) return aadError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    const assertion = form.get("client_assertion") ?? "";
    const header = jwt.decode(assertion, { complete: true })?.header as (jwt.JwtHeader & { "x5t#S256"?: string }) | undefined;
    const sha256 = Buffer.from(certificate.fingerprint256.replaceAll(":", ""), "hex").toString("base64url");
    const sha1 = Buffer.from(certificate.fingerprint.replaceAll(":", ""), "hex").toString("base64url");
    if (!header || (header["x5t#S256"] !== sha256 && header.x5t !== sha1))
      return aadError(
        401,
        "invalid_client",
        700027,
        `The certificate with identifier used to sign the client assertion is not registered on application ${clientId}.`,
      );
    try {
      jwt.verify(assertion, certificate.publicKey.export({ type: "spki", format: "pem" }) as string, {
        algorithms: ["PS256", "RS256"],
        audience: [`${this.authorityHost}/${tenant}/oauth2/v2.0/token`, `${this.authorityHost}/${this.tenantId}/oauth2/v2.0/token`],
        issuer: clientId,
        subject: clientId,
        // Clock skew is allowed for (MSAL rounds its `nbf` to the nearest second, so it can lie
        // up to half a second ahead); five minutes, as Entra ID's token validation does.
        clockTolerance: 300,
      });
      return undefined;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError || error instanceof jwt.NotBeforeError)
        return aadError(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
      return aadError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
    }
  }

  /**
   * The App Service identity endpoint (IDENTITY_ENDPOINT, with the IDENTITY_HEADER secret),
   * which a Function App's managed identity gets its tokens from: `resource`, the API version
   * and the user-assigned identity's `client_id` in the query.
   * https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
   */
  managedIdentityToken(query: URLSearchParams, identityHeader: string | undefined, expectedHeader: string): { response: SimResponse; issued: boolean } {
    const fail = (status: number, message: string) => ({
      response: { status, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ statusCode: status, message }) },
      issued: false,
    });
    if (identityHeader !== expectedHeader) return fail(401, "The X-IDENTITY-HEADER is missing or wrong.");
    if (query.get("api-version") !== "2019-08-01") return fail(400, "Unsupported api-version.");
    const resource = (query.get("resource") ?? "").replace(/\/\.default$/, "").replace(/\/$/, "");
    if (!resource) return fail(400, "The resource parameter is missing.");
    const clientId = query.get("client_id") ?? "";
    if (!this.identities.has(clientId)) return fail(400, `No managed identity with client id '${clientId}' is assigned to this app.`);
    if (this.resources && !this.resources.some((known) => sameResource(known, resource)))
      return fail(400, `The resource ${resource} was not found in the tenant.`);
    const accessToken = this.issue(clientId, resource);
    const expiresOn = Math.floor(Date.now() / 1000) + this.tokenLifetimeSeconds;
    return {
      response: json({ access_token: accessToken, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: clientId }),
      issued: true,
    };
  }

  /** The client a valid token belongs to, whatever its resource (throttling is per client). */
  clientOf(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const issued = match ? this.tokens.get(match[1]!) : undefined;
    return issued && issued.expiresAt > Date.now() ? issued.clientId : undefined;
  }

  /** The client id of a valid bearer token for `resource` (compared by origin), else undefined. */
  verify(authorization: string | undefined, resource: string): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const issued = match ? this.tokens.get(match[1]!) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) return undefined;
    return sameResource(issued.resource, resource) ? issued.clientId : undefined;
  }
}

function sameResource(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const host = (h: string) => (h === "localhost" ? "127.0.0.1" : h);
    return x.protocol === y.protocol && host(x.hostname) === host(y.hostname) && x.port === y.port;
  } catch {
    return a === b;
  }
}
