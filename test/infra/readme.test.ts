/** The README stays true to the code: settings, routes and the quick start. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parse } from "yaml";
import { appRoot, loadSettings, SETTING_NAMES } from "../../shared/config/settings.js";

const root = appRoot();
const readme = readFileSync(join(root, "README.md"), "utf8");
const section = (title: string) => readme.split(/^## /m).find((s) => s.startsWith(title)) ?? "";

test("the quick start is exactly npm install && npm start, then npm test", () => {
  expect(section("Quick start")).toContain("```sh\nnpm install && npm start\nnpm test\n```");
});

test("the settings table lists every setting, with the defaults the code applies", () => {
  const rows = [...section("Settings").matchAll(/^\| `([A-Za-z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
  expect(rows.map(([name]) => name)).toEqual([...SETTING_NAMES]);
  const s = loadSettings({
    DATAVERSE_URL: "https://x.crm4.dynamics.com",
    DATAVERSE_TENANT_ID: "00000000-0000-0000-0000-0000000000aa",
    DATAVERSE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
    DATAVERSE_CLIENT_SECRET: "x",
    MEANDER_API_URL: "http://127.0.0.1:1",
    MEANDER_API_SCOPE: "s",
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
  });
  const documented = Object.fromEntries(rows);
  const numbers: Record<string, number> = {
    SYNC_TIME_BUDGET_SECONDS: s.timeBudgetSeconds,
    SYNC_HTTP_TIME_BUDGET_SECONDS: s.httpTimeBudgetSeconds,
    SYNC_PAGE_SIZE: s.pageSize,
    SYNC_PORTAL_BATCH_SIZE: s.portalBatchSize,
    SYNC_MEANDER_BATCH_SIZE: s.meanderBatchSize,
    SYNC_PORTAL_CONCURRENCY: s.portalConcurrency,
    SYNC_MEANDER_CONCURRENCY: s.meanderConcurrency,
    SYNC_LEASE_SECONDS: s.leaseSeconds,
    SYNC_LEDGER_MAX_ATTEMPTS: s.ledgerMaxAttempts,
    SYNC_RUN_RETENTION_DAYS: s.runRetentionDays,
  };
  for (const [name, value] of Object.entries(numbers)) expect(documented[name], name).toMatch(new RegExp(`^\`${value}\``));
  expect(documented.SYNC_SCHEDULE).toBe(`\`${s.schedule}\``);
  expect(documented.SYNC_TABLE_PREFIX).toBe(`\`${s.tablePrefix}\``);
  expect(documented.SYNC_ADMIN_ROLE).toBe(`\`${s.auth.adminRole}\``);
  expect(documented.DATAVERSE_AUTHORITY_HOST).toBe(`\`${s.dataverse.authorityHost}\``);
  expect(documented.DATAVERSE_CLIENT_SECRET_NAME).toBe(`\`${s.dataverse.clientSecretName}\``);
});

test("the HTTP API table names exactly the documented operations", () => {
  const doc = parse(readFileSync(join(root, "api/admin.openapi.yaml"), "utf8")) as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths)
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((k) => k !== "parameters")
        .map((m) => `${m.toUpperCase()} /api${path}`),
    )
    .sort();
  const listed = [...section("HTTP API").matchAll(/^\| `(GET|POST) ([^`?]+)(?:\?[^`]*)?` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  expect(listed).toEqual(documented);
});
