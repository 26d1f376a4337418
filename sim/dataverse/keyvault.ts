/**
 * The slice of Key Vault's secrets API the service reads: `GET /secrets/{name}` and
 * `GET /secrets/{name}/{version}`, behind Key Vault's bearer challenge (the real
 * SecretClient first calls without a token and learns the authority from the 401).
 */
import { randomBytes } from "node:crypto";
import type { SimRequest, SimResponse } from "./http.js";

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly created: number;
}

const kvError = (status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify({ error: { code, message } }),
});

export class Vault {
  private readonly secrets = new Map<string, SecretVersion[]>();

  constructor(
    private readonly vaultUrl: string,
    private readonly challenge: string,
    initial: Readonly<Record<string, string>> = {},
  ) {
    for (const [name, value] of Object.entries(initial)) this.set(name, value);
  }

  set(name: string, value: string): void {
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    versions.push({ version: randomBytes(16).toString("hex"), value, created: Math.floor(Date.now() / 1000) });
    this.secrets.set(name.toLowerCase(), versions);
  }

  unauthorized(): SimResponse {
    return kvError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", { "WWW-Authenticate": this.challenge });
  }

  /** Handles a request already known to carry a valid token for the vault. */
  handle(request: SimRequest): SimResponse {
    if (!request.query.get("api-version")) return kvError(400, "BadParameter", "The api-version query parameter is required.");
    const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-f]{32})?)?\/?$/.exec(request.path);
    if (!match) return kvError(404, "NotFound", "The requested resource was not found on this vault.");
    if (request.method !== "GET") return kvError(405, "BadParameter", "Only GET of a secret is supported by the simulator.");
    const name = match[1]!;
    const versions = this.secrets.get(name.toLowerCase());
    const secret = match[2] ? versions?.find((v) => v.version === match[2]) : versions?.[versions.length - 1];
    if (!secret) {
      const what = match[2] ? `(name/id) ${name}/${match[2]}` : `(name/id) ${name}`;
      return kvError(404, "SecretNotFound", `A secret with ${what} was not found in this key vault.`);
    }
    return {
      status: 200,
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify({
        value: secret.value,
        id: `${this.vaultUrl}/secrets/${name}/${secret.version}`,
        attributes: {
          enabled: true,
          created: secret.created,
          updated: secret.created,
          recoveryLevel: "Recoverable+Purgeable",
          recoverableDays: 90,
        },
        tags: {},
      }),
    };
  }
}
