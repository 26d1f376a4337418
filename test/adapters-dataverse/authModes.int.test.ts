/**
 * DATAVERSE_AUTH end to end against the simulator's identity platform, with the real clients:
 * the managed identity through the App Service identity endpoint (IDENTITY_ENDPOINT, read by
 * @azure/identity's ManagedIdentityCredential), and a Key Vault certificate as MSAL's client
 * assertion, which the simulator verifies (signature, thumbprint, audience, issuer, lifetime).
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { certificateCredential } from "../../shared/adapters/auth/authenticate.js";
import { createAzureCredential } from "../../shared/adapters/identity.js";
import { createDataverseSide } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import { loadCompiledConfigs } from "../../shared/config/syncConfig.js";
import { createJsonLogger } from "../../shared/logging.js";
import { type DataverseSim, startDataverseSim } from "../../sim/dataverse/index.js";
import { clientCertificate, ensureLocalCertificate } from "../../sim/tls.js";
import { guid, newClient } from "./harness.js";

const quiet = createJsonLogger(() => undefined);
const CERT_NAME = "dataverse-client-certificate";

describe("DATAVERSE_AUTH", () => {
  let sim: DataverseSim;
  const identity = { clientId: newClient().clientId, managedIdentity: true as const };
  const certApp = { clientId: newClient().clientId, ...clientCertificate("sync-app") };
  const vaultReader = newClient();
  const identityHeader = "identity-header-secret";
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

  beforeAll(async () => {
    const { key, cert } = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    sim = await startDataverseSim({
      tls: { key, cert },
      clients: [identity, { clientId: certApp.clientId, certificate: certApp.cert }, vaultReader],
      identityHeader,
      // A Key Vault certificate read as a secret is the PEM of its private key and certificate.
      secrets: { [CERT_NAME]: `${certApp.key}\n${certApp.cert}` },
    });
    sim.store.seed("contacts", [{ contactid: guid(1), firstname: "Ann", hlf_meanderid: "m-1" }]);
  });
  afterAll(() => sim?.close());
  afterEach(() => {
    for (const [name, value] of [
      ["IDENTITY_ENDPOINT", saved.endpoint],
      ["IDENTITY_HEADER", saved.header],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  const settingsFor = (auth: string, clientId: string) =>
    loadSettings({
      DATAVERSE_URL: sim.url,
      DATAVERSE_TENANT_ID: sim.tenantId,
      DATAVERSE_CLIENT_ID: clientId,
      DATAVERSE_AUTH: auth,
      DATAVERSE_AUTHORITY_HOST: sim.authorityHost,
      KEY_VAULT_URL: sim.keyVaultUrl,
      MEANDER_API_URL: "http://127.0.0.1:1",
      MEANDER_API_SCOPE: "api://meander-sync/.default",
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
    });

  it("managedIdentity: the identity endpoint's token reaches Dataverse; no secret is read from anywhere", async () => {
    process.env.IDENTITY_ENDPOINT = sim.managedIdentityEndpoint;
    process.env.IDENTITY_HEADER = identityHeader;
    const settings = settingsFor("managedIdentity", identity.clientId);
    expect(settings.dataverse.auth).toBe("managedIdentity");
    const side = createDataverseSide(settings, loadCompiledConfigs(), createAzureCredential({ managedIdentityClientId: identity.clientId }), quiet);
    sim.resetCounters();
    expect((await side.getByIds("contacts", [guid(1)])).map((r) => r.id)).toEqual([guid(1)]);
    expect(sim.counters().byKind.keyvault).toBe(0);
    expect(sim.counters().tokensIssued).toBe(1);
  });

  it("managedIdentity: an identity not assigned to the app gets no token, and the run names the failure", async () => {
    process.env.IDENTITY_ENDPOINT = sim.managedIdentityEndpoint;
    process.env.IDENTITY_HEADER = identityHeader;
    const stranger = newClient().clientId;
    const side = createDataverseSide(
      settingsFor("managedIdentity", stranger),
      loadCompiledConfigs(),
      createAzureCredential({ managedIdentityClientId: stranger }),
      quiet,
    );
    sim.resetCounters();
    await expect(side.getByIds("contacts", [guid(1)])).rejects.toMatchObject({ code: "AUTH_FAILED" });
    expect(sim.counters().tokensIssued).toBe(0);
  });

  it("certificate: the Key Vault certificate signs MSAL's client assertion, which the identity platform verifies", async () => {
    const settings = settingsFor("certificate", certApp.clientId);
    const vault = createAzureCredential({ tenantId: sim.tenantId, ...vaultReader, authorityHost: sim.authorityHost });
    const side = createDataverseSide(settings, loadCompiledConfigs(), vault, quiet);
    sim.resetCounters();
    expect((await side.getByIds("contacts", [guid(1)])).map((r) => r.id)).toEqual([guid(1)]);
    expect(sim.counters().byKind.keyvault).toBeGreaterThan(0);
    expect(sim.counters().tokensIssued).toBe(2); // the vault reader's, then the app's by assertion
  });

  it("certificate: an assertion signed by another certificate is refused, naming the tenant and client, not the key", async () => {
    const other = clientCertificate("someone-else");
    const { key, cert } = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    const strict = await startDataverseSim({
      tls: { key, cert },
      clients: [{ clientId: certApp.clientId, certificate: certApp.cert }, vaultReader],
      secrets: { [CERT_NAME]: `${other.key}\n${other.cert}` },
    });
    try {
      const settings = loadSettings({
        DATAVERSE_URL: strict.url,
        DATAVERSE_TENANT_ID: strict.tenantId,
        DATAVERSE_CLIENT_ID: certApp.clientId,
        DATAVERSE_AUTH: "certificate",
        DATAVERSE_AUTHORITY_HOST: strict.authorityHost,
        KEY_VAULT_URL: strict.keyVaultUrl,
        MEANDER_API_URL: "http://127.0.0.1:1",
        MEANDER_API_SCOPE: "api://meander-sync/.default",
        AzureWebJobsStorage: "UseDevelopmentStorage=true",
      });
      const vault = createAzureCredential({ tenantId: strict.tenantId, ...vaultReader, authorityHost: strict.authorityHost });
      const side = createDataverseSide(settings, loadCompiledConfigs(), vault, quiet);
      const failure = await side.getByIds("contacts", [guid(1)]).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failure).toMatchObject({ code: "AUTH_FAILED" });
      expect(failure!.message).toContain(certApp.clientId);
      expect(failure!.message).toContain("invalid_client");
      expect(failure!.message).not.toContain("PRIVATE KEY");
      // Only the vault reader got a token; Dataverse was never called.
      expect(strict.counters().tokensIssued).toBe(1);
      expect(strict.counters().byKind.get).toBe(0);
    } finally {
      strict.close();
    }
  });

  it("certificate: needs the vault, and reads the Key Vault certificate's PEM as MSAL's client certificate", () => {
    expect(() =>
      loadSettings({
        DATAVERSE_URL: "https://x.crm4.dynamics.com",
        DATAVERSE_TENANT_ID: "00000000-0000-0000-0000-0000000000aa",
        DATAVERSE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
        DATAVERSE_AUTH: "certificate",
        MEANDER_API_URL: "http://127.0.0.1:1",
        MEANDER_API_SCOPE: "s",
        AzureWebJobsStorage: "UseDevelopmentStorage=true",
      }),
    ).toThrow(/KEY_VAULT_URL/);
    const parsed = certificateCredential(`${certApp.key}\n${certApp.cert}`);
    expect(parsed.privateKey).toContain("PRIVATE KEY");
    expect(parsed.x5c).toContain("BEGIN CERTIFICATE");
    expect(parsed.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(() => certificateCredential(certApp.cert)).toThrow(/private key/);
    // An EC certificate (such as the local TLS one) cannot sign an assertion Entra ID accepts.
    const tls = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    expect(() => certificateCredential(`${tls.key}\n${tls.cert}`)).toThrow(/RSA key/);
  });
});
