import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTables } from "../../shared/adapters/tables/index.js";
import { FatalError } from "../../shared/errors.js";
import { sampleRun } from "./helpers.js";
import { fakeIdentity, startOAuthAzurite } from "./oauthAzurite.js";

let azurite: Awaited<ReturnType<typeof startOAuthAzurite>>;
beforeAll(async () => {
  azurite = await startOAuthAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe("tables through an endpoint and a token credential (the managed-identity path)", () => {
  it("creates the tables and round-trips a run with bearer tokens over HTTPS", async () => {
    const identity = fakeIdentity();
    const tables = createTables({ endpoint: azurite.endpoint, credential: identity, prefix: "mi" });
    await tables.ensureTables();
    await tables.runs.saveRun(sampleRun({ runId: "r-mi" }));
    expect((await tables.runs.getRun("likepersons", "r-mi"))?.runId).toBe("r-mi");
    expect(identity.scopes).toContain("https://storage.azure.com/.default");
  });

  it("turns a refused token into a fatal error naming the table, not the token", async () => {
    const tables = createTables({ endpoint: azurite.endpoint, credential: fakeIdentity("https://vault.azure.net"), prefix: "mi" });
    const failure = await tables.runs.getRun("likepersons", "r-mi").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FatalError);
    expect((failure as FatalError).status).toBe(403);
    expect((failure as FatalError).message).toMatch(/^table miruns: reads failed with 403/);
  });
});
