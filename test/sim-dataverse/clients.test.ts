/**
 * The real clients the adapters use (msal-node, dynamics-web-api, SecretClient) against
 * the simulator, so a protocol mismatch shows up here and not in the adapter's tests.
 */
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { DynamicsWebApi } from "dynamics-web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { CLIENT, guid, startSim } from "./helpers.js";

describe("Dataverse simulator with the real clients", () => {
  let sim: DataverseSim;
  let msal: ConfidentialClientApplication;
  let dwa: DynamicsWebApi;

  const tokenFor = async (scope: string) => {
    const result = await msal.acquireTokenByClientCredential({ scopes: [scope] });
    if (!result) throw new Error("no token");
    return result;
  };

  beforeAll(async () => {
    sim = await startSim({ secrets: { "dataverse-client-secret": "from-the-vault" } });
    msal = new ConfidentialClientApplication({
      auth: {
        clientId: CLIENT.clientId,
        clientSecret: CLIENT.clientSecret,
        authority: `${sim.authorityHost}/${sim.tenantId}`,
        knownAuthorities: [new URL(sim.authorityHost).host],
      },
    });
    dwa = new DynamicsWebApi({
      serverUrl: sim.url,
      dataApi: { version: "9.2" },
      onTokenRefresh: async () => (await tokenFor(`${sim.url}/.default`)).accessToken,
    });
    sim.store.seed(
      "contacts",
      Array.from({ length: 7 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}`, hlf_meanderid: `m-${i}` })),
    );
  });
  afterAll(() => sim.close());

  it("msal-node gets a token through the OpenID metadata and caches it", async () => {
    const first = await tokenFor(`${sim.url}/.default`);
    const second = await tokenFor(`${sim.url}/.default`);
    expect(first.accessToken).toBeTruthy();
    expect(second.accessToken).toBe(first.accessToken);
    expect(sim.counters().byKind.metadata).toBeGreaterThanOrEqual(1);
  });

  it("dynamics-web-api pages a tracked read, then reads edits and deletions from the delta link", async () => {
    const request = { collection: "contacts", select: ["firstname", "hlf_meanderid"], maxPageSize: 3, trackChanges: true };
    const ids: string[] = [];
    let page = await dwa.retrieveMultiple(request);
    let pages = 1;
    for (;;) {
      ids.push(...page.value.map((row: { contactid: string }) => row.contactid));
      if (!page.oDataNextLink) break;
      page = await dwa.retrieveMultiple(request, page.oDataNextLink);
      pages++;
    }
    expect(pages).toBe(3);
    expect(ids).toHaveLength(7);
    expect(page.oDataDeltaLink).toContain("$deltatoken=");

    sim.store.edit("contacts", guid(2), { firstname: "Edited" });
    sim.store.remove("contacts", guid(3));
    const delta = await dwa.retrieveMultiple(request, page.oDataDeltaLink);
    const changed = delta.value.filter((row: { reason?: string }) => !row.reason);
    const deleted = delta.value.filter((row: { reason?: string }) => row.reason === "deleted");
    expect(changed.map((row: { contactid: string; firstname: string }) => [row.contactid, row.firstname])).toEqual([[guid(2), "Edited"]]);
    expect(deleted.map((row: { id: string }) => row.id)).toEqual([guid(3)]);
    expect(delta.oDataDeltaLink).toBeTruthy();
  });

  it("dynamics-web-api runs a $batch of upsert, create and a stale update with continue-on-error", async () => {
    const stale = 'W/"1"';
    dwa.startBatch();
    dwa.upsert({ collection: "contacts", key: "hlf_meanderid='m-new'", data: { firstname: "Upserted" } });
    dwa.create({ collection: "contacts", data: { firstname: "Created", hlf_meanderid: "m-created" } });
    dwa.update({ collection: "contacts", key: guid(1), data: { firstname: "Never" }, ifmatch: stale });
    // Outside a change set each operation stands alone; dynamics-web-api puts writes
    // in one change set unless told otherwise.
    const results = await dwa.executeBatch({ continueOnError: true, inChangeSet: false });
    expect(results).toHaveLength(3);
    const upserted = sim.store.list("contacts").find((row) => row.hlf_meanderid === "m-new");
    expect(upserted?.firstname).toBe("Upserted");
    expect(results[0]).toBe(upserted?.contactid);
    expect(typeof results[1]).toBe("string");
    expect(sim.store.get("contacts", results[1])?.firstname).toBe("Created");
    expect(results[2]).toBeInstanceOf(Error);
    expect(results[2].status).toBe(412);
    // Inside a batch the library keeps Dataverse's body as is: the code is under `error`.
    expect(results[2].error.code).toBe("0x80060882");
    expect(sim.store.get("contacts", guid(1))?.firstname).toBe("F0");
  });

  it("dynamics-web-api's default change set is rolled back whole when one operation fails", async () => {
    dwa.startBatch();
    dwa.upsert({ collection: "contacts", key: "hlf_meanderid='m-rolled-back'", data: { firstname: "Gone" } });
    dwa.update({ collection: "contacts", key: guid(1), data: { firstname: "Never" }, ifmatch: 'W/"1"' });
    const error = await dwa.executeBatch().catch((e: unknown) => e);
    expect(Array.isArray(error)).toBe(true);
    expect((error as { status: number }[])[0]?.status).toBe(412);
    expect(sim.store.list("contacts").some((row) => row.hlf_meanderid === "m-rolled-back")).toBe(false);
  });

  it("dynamics-web-api sees a 429 with Retry-After and Dataverse's code", async () => {
    sim.faults.failNext(1, { status: 429, retryAfterSeconds: 2 });
    const error = await dwa.retrieve({ collection: "contacts", key: guid(1) }).catch((e: unknown) => e as Record<string, unknown>);
    expect(error).toMatchObject({ status: 429, code: "0x80072322" });
    expect((error as { headers: Record<string, string> }).headers["retry-after"]).toBe("2");
  });

  it("SecretClient follows the Key Vault challenge and reads a secret", async () => {
    const credential: TokenCredential = {
      getToken: async (scopes): Promise<AccessToken> => {
        const result = await tokenFor(Array.isArray(scopes) ? scopes[0]! : (scopes as string));
        return { token: result.accessToken, expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 3600_000 };
      },
    };
    const client = new SecretClient(sim.keyVaultUrl, credential, { disableChallengeResourceVerification: true });
    const before = sim.counters().byKind.keyvault;
    const secret = await client.getSecret("dataverse-client-secret");
    expect(secret.value).toBe("from-the-vault");
    expect(sim.counters().byKind.keyvault - before).toBe(2);
    await expect(client.getSecret("missing-secret")).rejects.toMatchObject({ statusCode: 404, code: "SecretNotFound" });
  });

  it("@azure/identity's ClientSecretCredential gets tokens from the simulator's authority", async () => {
    const credential = new ClientSecretCredential(sim.tenantId, CLIENT.clientId, CLIENT.clientSecret, {
      authorityHost: sim.authorityHost,
      disableInstanceDiscovery: true,
    });
    const client = new SecretClient(sim.keyVaultUrl, credential, { disableChallengeResourceVerification: true });
    expect((await client.getSecret("dataverse-client-secret")).value).toBe("from-the-vault");
    const wrong = new ClientSecretCredential(sim.tenantId, CLIENT.clientId, "wrong", { authorityHost: sim.authorityHost, disableInstanceDiscovery: true });
    await expect(wrong.getToken(`${sim.url}/.default`)).rejects.toThrow(/AADSTS7000215/);
  });
});
