/**
 * The alerts and the workbook in infra/, and the README's queries, read only what the telemetry
 * emits: every table, customDimensions key, name, status and code is in shared/telemetry/names.ts,
 * the list test/telemetry/exporter.test.ts checks against a real run's spans, metrics and logs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { functionDefinitions } from "../../functions/definitions.js";
import { appRoot } from "../../shared/config/settings.js";
import { ALERTED_ERROR_CODES, RUN_SPAN } from "../../shared/telemetry/names.js";
import { queryProblems } from "./kql.js";

const root = appRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");
const defs = functionDefinitions(() => Promise.reject(new Error("not used")));
const functionNames = [...defs.http.map((f) => f.name), defs.timer.name];
const alerts = read("infra/modules/alerts.bicep");
const main = read("infra/main.bicep");

/** The alert rules as Bicep builds them: name, display name, and the query after its replace() calls. */
function rules() {
  const body = alerts.slice(alerts.indexOf("var rules = ["), alerts.indexOf("resource alerts"));
  return body
    .split(/\n {2}\{\n/)
    .slice(1)
    .map((block) => {
      const name = /name: '([^']+)'/.exec(block)![1]!;
      const displayName = /displayName: '((?:[^'\\]|\\')+)'/.exec(block)![1]!.replace(/\\'/g, "'");
      const q = /query: (.*)$/m.exec(block)![1]!;
      const file = /loadTextContent\('(queries\/[^']+)'\)|errorCodeQuery/.exec(q)!;
      let query = read(`infra/modules/${file[1] ?? "queries/error-code.kql"}`);
      for (const m of q.matchAll(/'\{(\w+)\}', (?:string\((\w+)\)|'([^']*)')/g)) query = query.replaceAll(`{${m[1]}}`, m[3] ?? "10");
      return { name, displayName, query };
    });
}

describe("alert rules", () => {
  const all = rules();

  test("one rule per situation the operators are told about", () => {
    expect(all.map((r) => r.name)).toEqual([
      "sync-runs-failing",
      "sync-no-successful-run",
      "sync-backlog",
      "sync-full-reread",
      "sync-mass-delete-blocked",
      "sync-schema-mismatch",
    ]);
    for (const code of ALERTED_ERROR_CODES)
      expect(
        all.some((r) => r.query.includes(`has "${code}"`)),
        code,
      ).toBe(true);
  });

  test.each(rules().map((r) => [r.name, r.query] as const))("%s reads only fields the telemetry emits", (_name, query) => {
    expect(query).not.toMatch(/\{\w+\}/);
    expect(queryProblems(query, functionNames)).toEqual([]);
    // Split per config: the rule's dimension is a column of the result.
    expect(query).toMatch(/by (name, )?configId|configId = |distinct configId|join kind=leftanti \w+ on configId/);
  });

  test("every query file is used by a rule and reads only emitted fields", () => {
    const files = readdirSync(join(root, "infra/modules/queries"));
    for (const file of files) {
      expect(alerts, file).toContain(`queries/${file}`);
      expect(
        queryProblems(
          read(`infra/modules/queries/${file}`)
            .replace("{code}", "MASS_DELETE_BLOCKED")
            .replace(/\{\w+\}/g, "10"),
          functionNames,
        ),
        file,
      ).toEqual([]);
    }
  });

  test("the checker would catch a name the telemetry does not emit", () => {
    const wrong = 'dependencies\n| where name == "sync.runs" and tostring(customDimensions.config) == "x" and tostring(customDimensions.status) == "broken"';
    expect(queryProblems(wrong, functionNames)).toEqual(["customDimensions.config", 'name "sync.runs"', 'status "broken"']);
    expect(queryProblems("trace\n| take 1", functionNames)).toEqual(["table trace"]);
  });

  test("rules alert the action group, split per config, on the Application Insights resource", () => {
    expect(alerts).toMatch(/scopes: \[appInsightsId\]/);
    expect(alerts).toMatch(/actions: \{ actionGroups: \[actionGroup\.id\] \}/);
    expect(alerts).toMatch(/dimensions: \[\{ name: 'configId', operator: 'Include', values: \['\*'\] \}\]/);
    expect(alerts).toMatch(/kind: 'LogAlert'/);
  });

  test("the action group e-mails ALERT_EMAIL (azd env set ALERT_EMAIL …)", () => {
    expect(alerts).toMatch(/emailReceivers: empty\(alertEmail\) \? \[\] : \[/);
    expect(alerts).toMatch(/emailAddress: alertEmail/);
    expect(main).toMatch(/^param alertEmail string = ''$/m);
    expect(main).toMatch(/alertEmail: alertEmail/);
    const params = JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: string }> };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: azd's own substitution syntax, not a template
    expect(params.parameters.alertEmail?.value).toBe("${ALERT_EMAIL=}");
  });
});

describe("workbook", () => {
  const workbook = JSON.parse(read("infra/modules/workbook.json")) as { items: { type: number; content: { query?: string; title?: string } }[] };
  const queries = workbook.items.filter((i) => i.type === 3).map((i) => [i.content.title!, i.content.query!] as const);

  test("deployed with the app, next to Application Insights", () => {
    expect(read("infra/modules/workbook.bicep")).toMatch(/serializedData: loadTextContent\('workbook\.json'\)/);
    expect(read("infra/modules/workbook.bicep")).toMatch(/sourceId: appInsightsId/);
    expect(main).toMatch(/module workbook 'modules\/workbook\.bicep'/);
    expect(queries.map(([title]) => title)).toEqual([
      "Run outcomes per config and day",
      "Run duration per config and day (average and 95th percentile, seconds)",
      "Throttled waits per side and hour",
      "Review queue and retry ledger over time",
      "Runs that failed or left records behind",
    ]);
  });

  test.each(queries)("%s reads only fields the telemetry emits", (_title, query) => {
    expect(queryProblems(query, functionNames)).toEqual([]);
  });
});

describe("README's operators' guide", () => {
  const readme = read("README.md");
  const guide = readme.split(/^## /m).find((s) => s.startsWith("Operators' guide")) ?? "";
  const queries = [...guide.matchAll(/```kusto\n([\s\S]*?)```/g)].map((m) => m[1]!);

  test("queries customDimensions and the requests and dependencies tables, never parse_json(message)", () => {
    expect(queries.length).toBeGreaterThanOrEqual(5);
    expect(guide).not.toMatch(/parse_json\(message\)/);
    expect(queries.some((q) => /^requests$/m.test(q))).toBe(true);
    expect(queries.some((q) => /^dependencies$/m.test(q) && q.includes(`name == "${RUN_SPAN}"`))).toBe(true);
  });

  test.each(queries.map((q, i) => [i + 1, q] as const))("query %i reads only fields the telemetry emits", (_i, query) => {
    expect(queryProblems(query, functionNames)).toEqual([]);
  });

  test("says what each alert means and what to do", () => {
    for (const rule of rules()) expect(guide, rule.displayName).toContain(rule.displayName);
    expect(guide).toContain("azd env set ALERT_EMAIL");
  });
});
