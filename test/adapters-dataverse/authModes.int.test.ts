import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateCredential } from "../../shared/adapters/auth/authenticate.js";
import { createAzureCredential } from "../../shared/adapters/identity.js";
import { createDataverseSide } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import { loadCompiledConfigs } from "../../shared/config/syncConfig.js";
import { createJsonLogger } from "../../shared/logging.js";
import { ensureLocalCertificate } from "../../sim/tls.js";
import { guid, type Harness, newClient, startHarness } from "./harness.js";

describe("DATAVERSE_AUTH", () => {
  let h: Harness;
  const identity = newClient();
  beforeAll(async () => {
    // The identity stands in for the Function App's managed identity: a client the tenant knows, and no secret in any setting or vault.
    h = await startHarness({ clients: [identity] });
    h.sim.store.seed("contacts", [{ contactid: guid(1), firstname: "Ann", hlf_meanderid: "m-1" }]);
  });
  afterAll(() => h.sim.close());

  it("managedIdentity: Dataverse is called with the identity's own token; no secret is read from anywhere", async () => {
    const settings = loadSettings({
      DATAVERSE_URL: h.sim.url,
      DATAVERSE_TENANT_ID: h.sim.tenantId,
      DATAVERSE_CLIENT_ID: identity.clientId,
      DATAVERSE_AUTH: "managedIdentity",
      KEY_VAULT_URL: h.sim.keyVaultUrl,
      MEANDER_API_URL: "http://127.0.0.1:1",
      MEANDER_API_SCOPE: "api://meander-sync/.default",
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
    });
    expect(settings.dataverse.auth).toBe("managedIdentity");
    const credential = createAzureCredential({ tenantId: h.sim.tenantId, ...identity, authorityHost: h.sim.authorityHost });
    const side = createDataverseSide(
      settings,
      loadCompiledConfigs(),
      credential,
      createJsonLogger(() => undefined),
    );
    h.sim.resetCounters();
    const records = await side.getByIds("contacts", [guid(1)]);
    expect(records.map((r) => r.id)).toEqual([guid(1)]);
    expect(h.sim.counters().byKind.keyvault).toBe(0);
    expect(h.sim.counters().tokensIssued).toBe(1);
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
    const { key, cert } = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    const parsed = certificateCredential(`${key}\n${cert}`);
    expect(parsed.privateKey).toContain("PRIVATE KEY");
    expect(parsed.x5c).toContain("BEGIN CERTIFICATE");
    expect(parsed.thumbprintSha256).toMatch(/^[0-9A-F]{64}$/);
    expect(() => certificateCredential(cert)).toThrow(/private key/);
  });
});
