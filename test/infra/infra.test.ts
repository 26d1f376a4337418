/**
 * No Bicep compiler here: these tests keep infra/, the settings code, local.settings.example.json,
 * host.json and package.json consistent by reading them.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { workerNodeFlags } from "../../bench/nodeFlags.js";
import { appRoot, loadSettings, SETTING_NAMES } from "../../shared/config/settings.js";
import { TELEMETRY_SETTINGS } from "../../shared/telemetry/setup.js";

const root = appRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");
const bicepFiles = [
  "infra/main.bicep",
  ...readdirSync(join(root, "infra/modules"))
    .filter((f) => f.endsWith(".bicep"))
    .map((f) => `infra/modules/${f}`),
];
const infraText = [...bicepFiles, "infra/main.parameters.json"].map(read).join("\n");

/** The keys of the first `{ ... }` object literal after `marker` in a Bicep file. */
function objectKeys(text: string, marker: string): string[] {
  const start = text.indexOf(marker);
  expect(start, marker).toBeGreaterThanOrEqual(0);
  let depth = 0;
  let i = text.indexOf("{", start);
  const open = i;
  for (; i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) break;
  }
  const body = text.slice(open + 1, i);
  return [...body.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/gm)].map((m) => m[1]!);
}

/** Settings the code reads that infra does not provision, with the reason. */
const NOT_IN_AZURE: Record<string, string> = {
  DATAVERSE_CLIENT_SECRET: "local only: in Azure the secret is in Key Vault",
  SYNC_BASELINE_KEY: "local only: in Azure the key is in Key Vault",
  AzureWebJobsStorage: "a connection string: in Azure the host uses AzureWebJobsStorage__* with the identity",
  WEBSITE_AUTH_ENABLED: "set by App Service when authentication is turned on",
  MEANDER_TENANT_ID: "local only: in Azure Meander's token comes with the managed identity",
  MEANDER_CLIENT_ID: "local only, as MEANDER_TENANT_ID",
  MEANDER_CLIENT_SECRET: "local only, as MEANDER_TENANT_ID",
  MEANDER_AUTHORITY_HOST: "local only, as MEANDER_TENANT_ID",
};
/** Settings infra provisions for the platform rather than for our code. */
const AZURE_MANAGED = [
  "AzureWebJobsStorage__accountName",
  "AzureWebJobsStorage__credential",
  "AzureWebJobsStorage__clientId",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
  "languageWorkers__node__arguments",
];

const infraSettings = () => [
  ...objectKeys(read("infra/main.bicep"), "appSettings: {"),
  ...objectKeys(read("infra/modules/functionapp.bicep"), "union(appSettings, {"),
];

describe("the same settings everywhere", () => {
  test("infra provisions every setting the code reads (and the identity-based storage ones)", () => {
    const expected = SETTING_NAMES.filter((n) => !(n in NOT_IN_AZURE));
    const provisioned = infraSettings();
    expect(new Set(provisioned).size).toBe(provisioned.length);
    expect(provisioned.filter((n) => !AZURE_MANAGED.includes(n)).sort()).toEqual([...expected].sort());
    expect(provisioned).toEqual(expect.arrayContaining(AZURE_MANAGED));
    expect(AZURE_MANAGED).toEqual(expect.arrayContaining([...TELEMETRY_SETTINGS]));
  });

  test("local.settings.example.json lists every setting, with values the settings code accepts", () => {
    const example = JSON.parse(read("local.settings.example.json")) as { Values: Record<string, string> };
    const { FUNCTIONS_WORKER_RUNTIME, ...values } = example.Values;
    expect(FUNCTIONS_WORKER_RUNTIME).toBe("node");
    expect(Object.keys(values).sort()).toEqual([...SETTING_NAMES, ...TELEMETRY_SETTINGS].sort());
    expect(Object.values(values).every((v) => typeof v === "string")).toBe(true);
    const settings = loadSettings(values);
    expect(settings.tables.kind).toBe("connectionString");
    expect(settings.auth.enabled).toBe(false);
  });

  test("the code reads no environment variable that is not a listed setting", () => {
    const allowed = new Set<string>([...SETTING_NAMES, ...TELEMETRY_SETTINGS, "NODE_EXTRA_CA_CERTS"]);
    const sources = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts"))
        .map((e) => join(e.parentPath, e.name));
    const read = [...sources("functions"), ...sources("shared")].flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])/g)].map((m) => m[1] ?? m[2]!),
    );
    expect(read.filter((name) => !allowed.has(name))).toEqual([]);
  });

  test("every main.bicep parameter without a default is supplied by main.parameters.json, and nothing else is", () => {
    const bicep = read("infra/main.bicep");
    const params = [...bicep.matchAll(/^param (\w+) \w+( = .*)?$/gm)];
    const supplied = Object.keys((JSON.parse(read("infra/main.parameters.json")) as { parameters: object }).parameters);
    expect(supplied.filter((p) => !params.some((m) => m[1] === p))).toEqual([]);
    expect(params.filter((m) => !m[2] && !supplied.includes(m[1]!)).map((m) => m[1])).toEqual([]);
  });
});

describe("infra", () => {
  test("Flex Consumption on Node 22, deployed from a blob container with the identity", () => {
    const app = read("infra/modules/functionapp.bicep");
    expect(app).toMatch(/sku: \{ tier: 'FlexConsumption', name: 'FC1' \}/);
    expect(app).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
    expect([...infraText.matchAll(/version: '(\d+)'/g)].map((m) => m[1])).toEqual(["22"]);
    expect(app).toMatch(/type: 'blobContainer'/);
    expect(app).toMatch(/authentication: \{ type: 'UserAssignedIdentity'/);
    expect(app).toMatch(/AzureWebJobsStorage__credential: 'managedidentity'/);
  });

  test("the worker's node flags are ones Node accepts, and the benchmark runs with them", () => {
    const flags = workerNodeFlags(root);
    expect(flags).toEqual(["--heap-growing-percent=30", "--max-semi-space-size=8"]);
    // Node refuses to start on a flag it (or V8) does not know: a misspelt one would stop the worker on Azure.
    const started = spawnSync(process.execPath, [...flags, "-e", "0"], { encoding: "utf8" });
    expect(started.stderr).toBe("");
    expect(started.status).toBe(0);
  });

  test("every role assignment is named guid(scope, principal, role)", () => {
    const blocks = infraText.split(/(?=^resource )/m).filter((b) => b.includes("'Microsoft.Authorization/roleAssignments@"));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const block of blocks) {
      const name = /^\s*name: guid\(([^)]*)\)\s*$/m.exec(block);
      expect(name, block.split("\n")[0]).not.toBeNull();
      const args = name![1]!.split(",").map((a) => a.trim());
      expect(args).toHaveLength(3);
      expect(args[0]).toMatch(/\.id$/);
      expect(args[1]).toMatch(/PrincipalId$/);
      expect(args[2]).toMatch(/^roles\.\w+$/);
      expect(block).toContain(`roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${args[2]})`);
    }
  });

  test("the identity gets exactly the roles it needs", () => {
    const roles = read("infra/modules/roles.bicep");
    const ids: Record<string, string> = {
      storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
      storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
      keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
      monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
    };
    for (const [role, id] of Object.entries(ids)) {
      expect(roles).toContain(`${role}: '${id}'`);
      expect(roles).toMatch(new RegExp(`name: guid\\(\\w+\\.id, identityPrincipalId, roles\\.${role}\\)`));
    }
  });

  test("no keys, no connection strings with keys, no access policies", () => {
    for (const forbidden of [
      /listKeys\(/i,
      /AccountKey=/i,
      /SharedAccessSignature/i,
      /listConnectionStrings/i,
      /accessPolicies/i,
      /primaryKey/i,
      /^\s*AzureWebJobsStorage\s*:/m,
    ]) {
      expect(infraText).not.toMatch(forbidden);
    }
    expect(read("infra/modules/storage.bicep")).toMatch(/allowSharedKeyAccess: false/);
    expect(read("infra/modules/keyvault.bicep")).toMatch(/enableRbacAuthorization: true/);
    expect(read("infra/modules/monitoring.bicep")).toMatch(/DisableLocalAuth: true/);
    expect(read("infra/modules/functionapp.bicep")).toMatch(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=\$\{identityClientId\};Authorization=AAD'/);
  });

  test("azure.yaml deploys this project as a function app from infra/", () => {
    const azd = parse(read("azure.yaml")) as { services: Record<string, { host: string; language: string; project: string }>; infra: { path: string } };
    expect(azd.services.api).toEqual({ project: ".", language: "ts", host: "function" });
    expect(azd.infra.path).toBe("infra");
    expect(read("infra/modules/functionapp.bicep")).toContain("'azd-service-name': 'api'");
  });
});

describe("host.json and package.json", () => {
  const host = JSON.parse(read("host.json")) as { version: string; functionTimeout: string; extensionBundle: { id: string; version: string } };

  test("the host sends OpenTelemetry (the worker's distro joins it: shared/telemetry/setup.ts)", () => {
    expect((host as { telemetryMode?: string }).telemetryMode).toBe("OpenTelemetry");
    expect(read("functions/index.ts")).toMatch(/await startTelemetry\(\);/);
  });

  test("version 2.0, 10-minute timeout, the v4 extension bundle", () => {
    expect(host.version).toBe("2.0");
    expect(host.functionTimeout).toBe("00:10:00");
    expect(host.extensionBundle).toEqual({ id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" });
  });

  test("the time budgets end a run before the host or the HTTP front end does", () => {
    const [h, m, s] = host.functionTimeout.split(":").map(Number) as [number, number, number];
    const timeoutSeconds = h * 3600 + m * 60 + s;
    const example = JSON.parse(read("local.settings.example.json")) as { Values: Record<string, string> };
    const settings = loadSettings(example.Values);
    expect(settings.timeBudgetSeconds).toBeLessThan(timeoutSeconds);
    expect(settings.httpTimeBudgetSeconds).toBeLessThan(230);
    const maxBudget = /int\((\d+), (\d+), \d+\)/.exec(read("shared/config/settings.ts").split("SYNC_TIME_BUDGET_SECONDS:")[1]!)!;
    expect(Number(maxBudget[2])).toBeLessThan(timeoutSeconds);
  });

  test("package.json main is the built entry point that registers the functions", () => {
    const pkg = JSON.parse(read("package.json")) as { main: string; scripts: Record<string, string> };
    expect(pkg.main).toBe("dist/functions/index.js");
    expect(read("functions/index.ts")).toMatch(/app\.http\(/);
    expect(pkg.scripts.start).toMatch(/build/);
  });
});
