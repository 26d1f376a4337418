import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, CLIENT, getToken, startSim } from "./helpers.js";

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields),
});

describe("Dataverse simulator: token endpoint and Key Vault", () => {
  let sim: DataverseSim;
  const tokenUrl = () => `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`;
  const credentials = (secret: string, scope = `${sim.url}/.default`) => ({
    client_id: CLIENT.clientId,
    client_secret: secret,
    scope,
    grant_type: "client_credentials",
  });

  beforeAll(async () => {
    sim = await startSim({ secrets: { "dataverse-client-secret": "s3cr3t" }, tokenLifetimeSeconds: 1200 });
  });
  afterAll(() => sim.close());

  it("publishes the OpenID metadata MSAL reads", async () => {
    const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    const body = (await response.json()) as Record<string, string>;
    expect(body.token_endpoint).toBe(tokenUrl());
    expect(body.issuer).toBe(`${sim.authorityHost}/${sim.tenantId}/v2.0`);
    for (const field of ["authorization_endpoint", "jwks_uri"]) expect(body[field]).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const wrongTenant = await fetch(`${sim.authorityHost}/someone-else/v2.0/.well-known/openid-configuration`);
    expect(wrongTenant.status).toBe(400);
  });

  it("issues a token for the right secret", async () => {
    const response = await fetch(tokenUrl(), form(credentials(CLIENT.clientSecret)));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 1200, access_token: expect.any(String) });
    expect(sim.counters().tokensIssued).toBeGreaterThanOrEqual(1);
  });

  it("refuses a wrong secret, an unknown client and an unknown tenant with AAD-style errors", async () => {
    const wrong = await fetch(tokenUrl(), form(credentials("not-the-secret")));
    expect(wrong.status).toBe(401);
    const wrongBody = (await wrong.json()) as { error: string; error_description: string; error_codes: number[] };
    expect(wrongBody.error).toBe("invalid_client");
    expect(wrongBody.error_description).toMatch(/^AADSTS7000215:/);
    expect(wrongBody.error_codes).toEqual([7000215]);
    expect(JSON.stringify(wrongBody)).not.toContain("not-the-secret");

    const unknown = await fetch(tokenUrl(), form({ ...credentials(CLIENT.clientSecret), client_id: "99999999-0000-0000-0000-000000000000" }));
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toBe("unauthorized_client");

    const tenant = await fetch(`${sim.authorityHost}/wrong-tenant/oauth2/v2.0/token`, form(credentials(CLIENT.clientSecret)));
    expect(tenant.status).toBe(400);
    expect(((await tenant.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
  });

  it("answers the Web API without a valid token with 401 and WWW-Authenticate", async () => {
    const missing = await api(sim, "", "GET", "contacts");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri=https:\/\/127\.0\.0\.1:\d+\//);
    expect(missing.json.error.code).toMatch(/^0x/);
    const vaultToken = await getToken(sim, "https://vault.azure.net/.default");
    expect((await api(sim, vaultToken, "GET", "contacts")).status).toBe(401);
    expect((await api(sim, "made-up", "GET", "contacts")).status).toBe(401);
  });

  it("after a secret rotation refuses the old secret and revokes its tokens", async () => {
    const rotating = await startSim();
    try {
      const token = await getToken(rotating);
      expect((await api(rotating, token, "GET", "contacts")).status).toBe(200);
      rotating.rotateClientSecret(CLIENT.clientId, "new-secret");
      expect((await api(rotating, token, "GET", "contacts")).status).toBe(401);
      const old = await fetch(
        `${rotating.authorityHost}/${rotating.tenantId}/oauth2/v2.0/token`,
        form({ ...credentials(CLIENT.clientSecret, `${rotating.url}/.default`) }),
      );
      expect(old.status).toBe(401);
      const fresh = await getToken(rotating, `${rotating.url}/.default`, { clientId: CLIENT.clientId, clientSecret: "new-secret" });
      expect((await api(rotating, fresh, "GET", "contacts")).status).toBe(200);
    } finally {
      await rotating.close();
    }
  });

  it("Key Vault: challenges first, then serves the secret and its versions", async () => {
    const url = `${sim.keyVaultUrl}/secrets/dataverse-client-secret/?api-version=7.6`;
    const challenge = await fetch(url);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toBe(`Bearer authorization="${sim.authorityHost}/${sim.tenantId}", resource="https://vault.azure.net"`);
    const token = await getToken(sim, "https://vault.azure.net/.default");
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    const first = (await (await fetch(url, auth)).json()) as { value: string; id: string; attributes: { enabled: boolean } };
    expect(first.value).toBe("s3cr3t");
    expect(first.attributes.enabled).toBe(true);
    expect(first.id).toMatch(new RegExp(`^${sim.keyVaultUrl}/secrets/dataverse-client-secret/[0-9a-f]{32}$`));

    sim.setSecret("dataverse-client-secret", "rotated");
    const latest = (await (await fetch(url, auth)).json()) as { value: string };
    expect(latest.value).toBe("rotated");
    const pinned = (await (await fetch(`${first.id}?api-version=7.6`, auth)).json()) as { value: string };
    expect(pinned.value).toBe("s3cr3t");

    const missing = await fetch(`${sim.keyVaultUrl}/secrets/nothing-here?api-version=7.6`, auth);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("SecretNotFound");
    const dataverseToken = await getToken(sim);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${dataverseToken}` } })).status).toBe(401);
  });
});
