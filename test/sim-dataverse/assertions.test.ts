/**
 * The simulator's identity platform checks certificate client assertions as Entra ID does:
 * signed by the registered certificate's key, naming it by thumbprint, for this tenant's
 * token endpoint, issued by and about the client, and valid now; and serves the App Service
 * identity endpoint only with its header secret, to an assigned identity.
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DataverseSim, startDataverseSim } from "../../sim/dataverse/index.js";
import { clientCertificate, ensureLocalCertificate } from "../../sim/tls.js";

const APP = "aaaaaaaa-0000-4000-8000-00000000c0de";
const IDENTITY = "aaaaaaaa-0000-4000-8000-00000000beef";

describe("Dataverse simulator: certificate assertions and the managed identity endpoint", () => {
  let sim: DataverseSim;
  const mine = clientCertificate("sync-app");
  const theirs = clientCertificate("someone-else");
  const tokenUrl = () => `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`;
  const thumbprint = (pem: string) => Buffer.from(new X509Certificate(pem).fingerprint256.replaceAll(":", ""), "hex").toString("base64url");

  beforeAll(async () => {
    const { key, cert } = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    sim = await startDataverseSim({
      tls: { key, cert },
      clients: [
        { clientId: APP, certificate: mine.cert },
        { clientId: IDENTITY, managedIdentity: true },
      ],
      identityHeader: "header-secret",
    });
  });
  afterAll(() => sim.close());

  const assertion = (overrides: { key?: string; x5t?: string; aud?: string; iss?: string; expiresIn?: number } = {}) =>
    jwt.sign({ aud: overrides.aud ?? tokenUrl(), iss: overrides.iss ?? APP, sub: APP, jti: crypto.randomUUID() }, overrides.key ?? mine.key, {
      algorithm: "PS256",
      header: { alg: "PS256", typ: "JWT", "x5t#S256": overrides.x5t ?? thumbprint(mine.cert) } as jwt.JwtHeader,
      expiresIn: overrides.expiresIn ?? 600,
      notBefore: 0,
    });
  const ask = async (clientAssertion: string) => {
    const response = await fetch(tokenUrl(), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: APP,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: clientAssertion,
        scope: `${sim.url}/.default`,
        grant_type: "client_credentials",
      }),
    });
    const body = (await response.json()) as { access_token?: string; error_codes?: number[] };
    return { status: response.status, body };
  };

  it("issues a token for an assertion signed with the registered certificate", async () => {
    const { status, body } = await ask(assertion());
    expect(status).toBe(200);
    expect(body.access_token).toEqual(expect.any(String));
  });

  it("refuses an assertion naming the registered certificate but signed by another key", async () => {
    expect(await ask(assertion({ key: theirs.key }))).toMatchObject({ status: 401, body: { error_codes: [700027] } });
  });

  it("refuses an assertion naming a certificate the app does not have", async () => {
    expect(await ask(assertion({ key: theirs.key, x5t: thumbprint(theirs.cert) }))).toMatchObject({ status: 401, body: { error_codes: [700027] } });
  });

  it("refuses an expired assertion, one for another audience, and one issued by someone else", async () => {
    expect(await ask(assertion({ expiresIn: -600 }))).toMatchObject({ status: 401, body: { error_codes: [700024] } });
    expect(await ask(assertion({ aud: "https://login.microsoftonline.com/other/oauth2/v2.0/token" }))).toMatchObject({ status: 401 });
    expect(await ask(assertion({ iss: IDENTITY }))).toMatchObject({ status: 401 });
  });

  it("serves the identity endpoint to an assigned identity with the header secret only", async () => {
    const query = (clientId: string) => `${sim.managedIdentityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(sim.url)}&client_id=${clientId}`;
    const ok = await fetch(query(IDENTITY), { headers: { "X-IDENTITY-HEADER": "header-secret" } });
    expect(ok.status).toBe(200);
    const token = (await ok.json()) as { access_token: string; expires_on: string };
    expect(Number(token.expires_on)).toBeGreaterThan(Date.now() / 1000);
    const whoAmI = await fetch(`${sim.url}/api/data/v9.2/WhoAmI`, { headers: { Authorization: `Bearer ${token.access_token}` } });
    expect(whoAmI.status).toBe(200);
    expect((await fetch(query(IDENTITY), { headers: { "X-IDENTITY-HEADER": "wrong" } })).status).toBe(401);
    expect((await fetch(query(APP), { headers: { "X-IDENTITY-HEADER": "header-secret" } })).status).toBe(400);
  });
});
