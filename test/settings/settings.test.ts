import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { appRoot, loadAuthSettings, loadSettings, readLocalSettings, SETTING_NAMES } from "../../shared/config/settings.js";
import { SettingsError } from "../../shared/errors.js";

const base = {
  DATAVERSE_URL: "https://hlf.crm4.dynamics.com/",
  DATAVERSE_TENANT_ID: "11111111-1111-4111-8111-111111111111",
  DATAVERSE_CLIENT_ID: "22222222-2222-4222-8222-222222222222",
  DATAVERSE_CLIENT_SECRET: "local-secret",
  MEANDER_API_URL: "http://localhost:7080",
  MEANDER_API_SCOPE: "api://meander-sync/.default",
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
};

function settingsError(env: Record<string, string | undefined>): SettingsError {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error("loadSettings accepted the environment");
}

describe("loadSettings", () => {
  test("applies the documented defaults", () => {
    const s = loadSettings(base);
    expect(s.dataverse).toMatchObject({
      url: "https://hlf.crm4.dynamics.com",
      authorityHost: "https://login.microsoftonline.com",
      clientSecretName: "dataverse-client-secret",
    });
    expect(s).toMatchObject({
      schedule: "0 */15 * * * *",
      timeBudgetSeconds: 480,
      httpTimeBudgetSeconds: 200,
      pageSize: 5000,
      portalBatchSize: 100,
      meanderBatchSize: 500,
      portalConcurrency: 8,
      meanderConcurrency: 8,
      leaseSeconds: 60,
      ledgerMaxAttempts: 10,
      runRetentionDays: 90,
      tablePrefix: "sync",
      auth: { enabled: false, adminRole: "SyncAdmin" },
      tables: { kind: "connectionString", connectionString: "UseDevelopmentStorage=true" },
    });
    expect(s.configDir).toBe(join(appRoot(), "configs"));
    expect(s.keyVaultUrl).toBeUndefined();
  });

  test("reads every value it is given", () => {
    const s = loadSettings({
      ...base,
      KEY_VAULT_URL: "https://kv-hlf.vault.azure.net/",
      DATAVERSE_CLIENT_SECRET: undefined,
      SYNC_TABLES_URL: "https://sthlf.table.core.windows.net",
      AZURE_CLIENT_ID: "33333333-3333-4333-8333-333333333333",
      SYNC_SCHEDULE: "0 0 */2 * * *",
      SYNC_PAGE_SIZE: "250",
      SYNC_CONFIG_DIR: "/srv/configs",
      WEBSITE_AUTH_ENABLED: "True",
      SYNC_ADMIN_ROLE: "Sync.Admin",
    });
    expect(s.keyVaultUrl).toBe("https://kv-hlf.vault.azure.net");
    expect(s.dataverse.clientSecret).toBeUndefined();
    expect(s.tables).toEqual({ kind: "endpoint", url: "https://sthlf.table.core.windows.net" });
    expect(s).toMatchObject({
      managedIdentityClientId: "33333333-3333-4333-8333-333333333333",
      schedule: "0 0 */2 * * *",
      pageSize: 250,
      configDir: "/srv/configs",
    });
    expect(s.auth).toEqual({ enabled: true, adminRole: "Sync.Admin" });
  });

  test("blank values count as unset", () => {
    expect(loadSettings({ ...base, SYNC_PAGE_SIZE: "", KEY_VAULT_URL: " " }).pageSize).toBe(5000);
  });

  const canary = "LEAK-c4n4ry";
  const bad: [string, Record<string, string | undefined>][] = [
    ["DATAVERSE_URL", { DATAVERSE_URL: undefined }],
    ["DATAVERSE_URL", { DATAVERSE_URL: `http://${canary}.example` }],
    ["DATAVERSE_URL", { DATAVERSE_URL: canary }],
    ["DATAVERSE_TENANT_ID", { DATAVERSE_TENANT_ID: `${canary} x` }],
    ["DATAVERSE_CLIENT_ID", { DATAVERSE_CLIENT_ID: canary }],
    ["DATAVERSE_AUTHORITY_HOST", { DATAVERSE_AUTHORITY_HOST: `ftp://${canary}` }],
    ["KEY_VAULT_URL", { KEY_VAULT_URL: canary }],
    ["DATAVERSE_CLIENT_SECRET_NAME", { DATAVERSE_CLIENT_SECRET_NAME: `${canary}/x` }],
    ["DATAVERSE_CLIENT_SECRET", { DATAVERSE_CLIENT_SECRET: undefined }],
    ["MEANDER_API_URL", { MEANDER_API_URL: `http://${canary}.example.org` }],
    ["MEANDER_API_SCOPE", { MEANDER_API_SCOPE: `${canary} scope` }],
    ["AzureWebJobsStorage", { AzureWebJobsStorage: `AccountKey${canary}` }],
    ["SYNC_TABLES_URL", { AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: "sthlf" }],
    ["SYNC_TABLES_URL", { SYNC_TABLES_URL: canary }],
    ["AZURE_CLIENT_ID", { AZURE_CLIENT_ID: canary }],
    ["SYNC_SCHEDULE", { SYNC_SCHEDULE: "*/5 * * * *" }],
    ["SYNC_SCHEDULE", { SYNC_SCHEDULE: `0 ${canary} * * * *` }],
    ["SYNC_TIME_BUDGET_SECONDS", { SYNC_TIME_BUDGET_SECONDS: "600" }],
    ["SYNC_HTTP_TIME_BUDGET_SECONDS", { SYNC_HTTP_TIME_BUDGET_SECONDS: "230" }],
    ["SYNC_PAGE_SIZE", { SYNC_PAGE_SIZE: canary }],
    ["SYNC_PAGE_SIZE", { SYNC_PAGE_SIZE: "5001" }],
    ["SYNC_PORTAL_BATCH_SIZE", { SYNC_PORTAL_BATCH_SIZE: "0" }],
    ["SYNC_MEANDER_BATCH_SIZE", { SYNC_MEANDER_BATCH_SIZE: "-1" }],
    ["SYNC_PORTAL_CONCURRENCY", { SYNC_PORTAL_CONCURRENCY: "53" }],
    ["SYNC_MEANDER_CONCURRENCY", { SYNC_MEANDER_CONCURRENCY: "1.5" }],
    ["SYNC_LEASE_SECONDS", { SYNC_LEASE_SECONDS: "5" }],
    ["SYNC_LEDGER_MAX_ATTEMPTS", { SYNC_LEDGER_MAX_ATTEMPTS: "1e3" }],
    ["SYNC_RUN_RETENTION_DAYS", { SYNC_RUN_RETENTION_DAYS: "0" }],
    ["SYNC_TABLE_PREFIX", { SYNC_TABLE_PREFIX: `${canary}-x` }],
    ["SYNC_ADMIN_ROLE", { SYNC_ADMIN_ROLE: `${canary} admin` }],
  ];

  test.each(bad)("a bad %s is named and its value not shown", (name, change) => {
    const error = settingsError({ ...base, ...change });
    expect(error.setting).toBe(name);
    expect(error.message).toContain(`setting ${name}:`);
    expect(error.message).not.toContain(canary);
    expect(error.code).toBe("SETTING_INVALID");
  });

  test("several bad settings: the first is named, the rest listed", () => {
    const error = settingsError({ ...base, DATAVERSE_CLIENT_ID: "x", SYNC_PAGE_SIZE: "x" });
    expect(error.setting).toBe("DATAVERSE_CLIENT_ID");
    expect(error.message).toContain("also invalid: SYNC_PAGE_SIZE");
  });

  test("SETTING_NAMES lists each setting once", () => {
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
    expect(SETTING_NAMES).toContain("AzureWebJobsStorage");
  });
});

describe("loadAuthSettings", () => {
  test.each([
    ["true", true],
    ["True", true],
    ["false", false],
    ["1", false],
    [undefined, false],
  ])("WEBSITE_AUTH_ENABLED=%s → %s", (value, enabled) => {
    expect(loadAuthSettings({ WEBSITE_AUTH_ENABLED: value }).enabled).toBe(enabled);
  });

  test("an unusable role name falls back to the default role, never to no role", () => {
    expect(loadAuthSettings({ WEBSITE_AUTH_ENABLED: "true", SYNC_ADMIN_ROLE: "a b" })).toEqual({ enabled: true, adminRole: "SyncAdmin" });
  });
});

describe("readLocalSettings", () => {
  test("local.settings.json Values fill in; the environment wins", () => {
    const dir = mkdtempSync(join(tmpdir(), "settings-"));
    writeFileSync(
      join(dir, "local.settings.json"),
      JSON.stringify({ IsEncrypted: false, Values: { SYNC_PAGE_SIZE: "100", SYNC_LEASE_SECONDS: 30, MEANDER_API_SCOPE: "from-file" } }),
    );
    const merged = readLocalSettings(dir, { MEANDER_API_SCOPE: "from-env" });
    expect(merged).toMatchObject({ SYNC_PAGE_SIZE: "100", SYNC_LEASE_SECONDS: "30", MEANDER_API_SCOPE: "from-env" });
  });

  test("no file: the environment as it is", () => {
    const dir = mkdtempSync(join(tmpdir(), "settings-"));
    expect(readLocalSettings(dir, { A: "1" })).toEqual({ A: "1" });
  });

  test("a broken file is a SettingsError that shows none of its content", () => {
    const dir = mkdtempSync(join(tmpdir(), "settings-"));
    writeFileSync(join(dir, "local.settings.json"), '{"Values": {"DATAVERSE_CLIENT_SECRET": "LEAK-c4n4ry"');
    expect(() => readLocalSettings(dir, {})).toThrowError(/local\.settings\.json: is not valid JSON$/);
  });
});
