import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { ServerError } from "@azure/msal-node";
import { describe, expect, it, vi } from "vitest";
import { authFailure } from "../../shared/adapters/auth/authenticate.js";
import { createAzureCredential, tokenSourceFromCredential } from "../../shared/adapters/identity.js";
import { LocalSecretSource } from "../../shared/adapters/keyvault/secrets.js";
import { AuthError, FatalError, TransientError } from "../../shared/errors.js";

describe("createAzureCredential", () => {
  it("picks managed identity, then client secret, then the default chain", () => {
    expect(createAzureCredential({ managedIdentityClientId: "00000000-0000-0000-0000-000000000001" })).toBeInstanceOf(ManagedIdentityCredential);
    expect(createAzureCredential({ tenantId: "t", clientId: "c", clientSecret: "s", authorityHost: "https://127.0.0.1:1" })).toBeInstanceOf(
      ClientSecretCredential,
    );
    expect(createAzureCredential({})).toBeInstanceOf(DefaultAzureCredential);
    expect(() => createAzureCredential({ clientSecret: "s" })).toThrow(FatalError);
  });
});

describe("tokenSourceFromCredential", () => {
  it("reuses a token until near expiry and shares concurrent requests", async () => {
    let clock = 1_000_000;
    const getToken = vi.fn(async () => ({ token: `t${getToken.mock.calls.length}`, expiresOnTimestamp: clock + 3600_000 }));
    const source = tokenSourceFromCredential({ getToken } as TokenCredential, () => clock);
    const [a, b] = await Promise.all([source.getToken("api://x/.default"), source.getToken("api://x/.default")]);
    expect(a).toBe(b);
    expect(getToken).toHaveBeenCalledTimes(1);
    clock += 54 * 60_000;
    expect(await source.getToken("api://x/.default")).toBe(a);
    clock += 2 * 60_000; // inside the last five minutes
    expect(await source.getToken("api://x/.default")).not.toBe(a);
    expect(getToken).toHaveBeenCalledTimes(2);
  });
});

describe("tokenSourceFromCredential failures", () => {
  it("a refused credential is fatal, an unavailable endpoint transient, and the next call tries again", async () => {
    const refused = Object.assign(new Error("AADSTS7000215 long text"), { name: "AuthenticationError", statusCode: 400 });
    const down = Object.assign(new Error("down"), { name: "AuthenticationError", statusCode: 503 });
    const getToken = vi
      .fn()
      .mockRejectedValueOnce(refused)
      .mockRejectedValueOnce(down)
      .mockResolvedValueOnce({ token: "t", expiresOnTimestamp: Date.now() + 3600_000 });
    const source = tokenSourceFromCredential({ getToken } as TokenCredential);
    const first = await source.getToken("api://m/.default").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FatalError);
    expect((first as Error).message).not.toContain("AADSTS");
    await expect(source.getToken("api://m/.default")).rejects.toBeInstanceOf(TransientError);
    expect(await source.getToken("api://m/.default")).toBe("t");
  });
});

describe("LocalSecretSource", () => {
  it("logs once, reads by name, and names a missing secret without any value", async () => {
    const warn = vi.fn();
    const source = new LocalSecretSource({ "dataverse-client-secret": "s3cr3t-value" }, { info: vi.fn(), warn, error: vi.fn() });
    expect(await source.getSecret("dataverse-client-secret")).toBe("s3cr3t-value");
    expect(await source.getSecret("dataverse-client-secret", { fresh: true })).toBe("s3cr3t-value");
    await expect(source.getSecret("other")).rejects.toThrow(/secret other/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls)).not.toContain("s3cr3t-value");
  });
});

/** A ServerError as MSAL throws it for an answered token request (the constructor's arity differs between MSAL versions). */
const serverError = (code: string, description: string, status: number) =>
  Object.defineProperty(Object.assign(new ServerError(code), { errorMessage: description }), "status", { value: status });

describe("authFailure", () => {
  const who = { tenantId: "tenant-1", clientId: "client-1" };
  it("refused credentials are an AuthError naming tenant and client; an unavailable endpoint is transient", () => {
    const refused = authFailure(who, serverError("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401));
    expect(refused).toBeInstanceOf(AuthError);
    expect(refused.message).toContain("tenant-1");
    expect(refused.message).toContain("client-1");
    expect(refused.message).toContain("invalid_client");
    expect(refused.message).not.toContain("AADSTS");
    expect(authFailure(who, serverError("server_error", "", 503))).toBeInstanceOf(TransientError);
  });
});
