import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { authenticate, createPortalTokenProvider } from "../../shared/adapters/auth/index.js";
import { createAzureCredential } from "../../shared/adapters/identity.js";
import { KeyVaultSecretSource } from "../../shared/adapters/keyvault/index.js";
import { AuthError, FatalError } from "../../shared/errors.js";
import { collect, guid, type Harness, SECRET_NAME, startHarness, webApiRequests } from "./harness.js";

describe("authentication against the simulator's token endpoint and Key Vault", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.sim.store.seed(
      "contacts",
      Array.from({ length: 30 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}`, hlf_meanderid: `m-${i}` })),
    );
  });
  afterAll(() => h.sim.close());

  it("a whole sequence of reads and writes makes exactly one token request for Dataverse", async () => {
    await h.secrets.getSecret(SECRET_NAME); // the vault's own token is not Dataverse's
    h.sim.resetCounters();
    const side = h.side({ pageSize: 10 });
    const pages = await collect(side.readChanges("contacts", undefined));
    await Promise.all([
      side.getByIds("contacts", [guid(1), guid(2)]),
      side.findByField("contacts", "hlf_meanderid", ["m-3", "m-4"]),
      side.write("contacts", [{ op: "update", ref: "a", id: guid(5), data: { firstname: "Changed" } }]),
    ]);
    await collect(side.readChanges("contacts", pages.at(-1)!.cursor));
    // A second adapter in the same process shares MSAL's application and its cache.
    await h.side().getByIds("contacts", [guid(6)]);
    const counters = h.sim.counters();
    expect(counters.byKind.token).toBe(1);
    expect(counters.byKind.keyvault).toBe(0);
  });

  it("picks up a rotated secret after one 401", async () => {
    const side = h.side();
    await side.getByIds("contacts", [guid(1)]);
    const rotated = `${h.client.clientSecret}-rotated`;
    h.sim.rotateClientSecret(h.client.clientId, rotated);
    h.sim.setSecret(SECRET_NAME, rotated);
    h.sim.resetCounters();
    const records = await side.getByIds("contacts", [guid(1), guid(2)]);
    expect(records).toHaveLength(2);
    const counters = h.sim.counters();
    // One refused call, one fresh read of the secret, one new token, one successful call.
    expect(counters.byKind.keyvault).toBe(1);
    expect(counters.byKind.token).toBe(1);
    expect(webApiRequests(counters)).toBe(2);
    expect(counters.byKind.get).toBe(1);
    h.sim.resetCounters();
    await side.getByIds("contacts", [guid(3)]);
    expect(h.sim.counters().byKind.token).toBe(0);
  });

  it("concurrent 401s refresh the token once", async () => {
    const side = h.side();
    await side.getByIds("contacts", [guid(1)]);
    const rotated = `${h.client.clientSecret}-again`;
    h.sim.rotateClientSecret(h.client.clientId, rotated);
    h.sim.setSecret(SECRET_NAME, rotated);
    h.sim.resetCounters();
    await Promise.all(Array.from({ length: 6 }, (_, i) => side.getByIds("contacts", [guid(i + 1)])));
    expect(h.sim.counters().byKind.token).toBe(1);
    expect(h.sim.counters().byKind.keyvault).toBe(1);
  });

  it("a wrong secret is an AuthError naming tenant and client id, never the secret", async () => {
    const wrong = "wrong-secret-do-not-print";
    const error = await authenticate({
      tenantId: h.sim.tenantId,
      clientId: h.client.clientId,
      clientSecret: wrong,
      dataverseUrl: h.sim.url,
      authorityHost: h.sim.authorityHost,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const message = (error as Error).message;
    expect(message).toContain(h.sim.tenantId);
    expect(message).toContain(h.client.clientId);
    expect(message).not.toContain(wrong);
    expect(JSON.stringify((error as AuthError).toInfo())).not.toContain(wrong);
  });

  it("a wrong tenant is an AuthError too", async () => {
    const tenant = "99999999-9999-9999-9999-999999999999";
    await expect(
      authenticate({
        tenantId: tenant,
        clientId: h.client.clientId,
        clientSecret: h.client.clientSecret,
        dataverseUrl: h.sim.url,
        authorityHost: h.sim.authorityHost,
      }),
    ).rejects.toThrow(AuthError);
  });

  it("the adapter stops with an AuthError when the secret in the vault is wrong as well", async () => {
    const stale = "stale-secret-in-vault";
    h.sim.setSecret("stale-secret", stale);
    const tokens = createPortalTokenProvider({
      tenantId: h.sim.tenantId,
      clientId: h.client.clientId,
      dataverseUrl: h.sim.url,
      authorityHost: h.sim.authorityHost,
      secretName: "stale-secret",
      secrets: h.secrets,
    });
    const error = await h
      .side({ tokenProvider: tokens })
      .getByIds("contacts", [guid(1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as Error).message).not.toContain(stale);
  });

  it("names a missing secret and its vault, never a value", async () => {
    const credential = createAzureCredential({ tenantId: h.sim.tenantId, ...h.vaultReader, authorityHost: h.sim.authorityHost });
    const vault = new KeyVaultSecretSource(h.sim.keyVaultUrl, credential);
    const error = await vault.getSecret("no-such-secret").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    expect((error as FatalError).code).toBe("SECRET_NOT_FOUND");
    expect((error as Error).message).toContain("no-such-secret");
    expect((error as Error).message).toContain(h.sim.keyVaultUrl);
  });

  it("the SDK's own retries (token endpoint reset, vault 503) are logged, with no secret in the lines", async () => {
    const lines: string[] = [];
    const logger = { info: vi.fn(), error: vi.fn(), warn: (message: string, properties?: object) => lines.push(`${message} ${JSON.stringify(properties)}`) };
    const credential = createAzureCredential({ tenantId: h.sim.tenantId, ...h.vaultReader, authorityHost: h.sim.authorityHost, logger });
    const vault = new KeyVaultSecretSource(h.sim.keyVaultUrl, credential, { retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 20 } }, logger);
    h.sim.faults.failNext(1, { drop: "beforeResponse", match: (_m, path) => path.includes("/oauth2/") });
    h.sim.faults.failNext(1, { status: 503, match: (_m, path) => path.startsWith("/secrets/") });
    expect(await vault.getSecret(SECRET_NAME)).toBeTruthy();
    expect(lines.some((l) => l.startsWith("retrying after a transient failure") && l.includes('"side":"identity"') && l.includes("ECONNRESET"))).toBe(true);
    expect(lines.some((l) => l.includes('"side":"keyvault"') && l.includes("HTTP_503"))).toBe(true);
    // The vault's bearer challenge (401, then the same request with a token) is not a fault.
    expect(lines.some((l) => l.includes("HTTP_401"))).toBe(false);
    expect(lines.join("\n")).not.toContain(h.vaultReader.clientSecret);
  });

  it("caches secrets and re-reads only when asked fresh", async () => {
    h.sim.resetCounters();
    await h.secrets.getSecret(SECRET_NAME);
    await h.secrets.getSecret(SECRET_NAME);
    expect(h.sim.counters().byKind.keyvault).toBe(0);
    h.sim.setSecret(SECRET_NAME, "next-value");
    expect(await h.secrets.getSecret(SECRET_NAME, { fresh: true })).toBe("next-value");
    expect(h.sim.counters().byKind.keyvault).toBe(1);
  });
});
