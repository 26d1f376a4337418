import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, describe, expect, test } from "vitest";
import { createHttpFunctions } from "../../functions/syncHttp.js";
import { oas31Schema } from "../meander/oas31.schema.js";
import { type CallInit, caller } from "./call.js";
import { FakeService } from "./fakeService.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

import { checkResponse, doc, docPath, documentedStatuses, operationsOf, requestValidator } from "./openapi.js";

const routeOf = Object.fromEntries(createHttpFunctions({ getService: async () => new FakeService() }).map((f) => [f.name, f.options.route!]));
const seen = new Set<string>();

/** Calls a handler and checks its answer against the document. */
async function exchange(name: string, init: CallInit & { auth?: boolean; service?: FakeService }) {
  const service = init.service ?? new FakeService();
  const call = caller(service, { enabled: init.auth === true, adminRole: "SyncAdmin" });
  const r = await call(name, init);
  const path = docPath(routeOf[name]!);
  const method = init.method ?? "GET";
  for (const key of checkResponse(path, method, r.status, r.body)) seen.add(key);
  return r;
}

const lp = { configId: "likepersons" };
const c1 = { ...lp, conflictId: "c-1" };
const withRuns = async () => {
  const service = new FakeService();
  await service.runSync("likepersons", { trigger: "timer" });
  await service.runSync("likepersons", { trigger: "manual", dryRun: true });
  return service;
};

/** A service whose every call fails unexpectedly. */
function failing(): FakeService {
  const service = new FakeService();
  const boom = () => Promise.reject(new Error("boom"));
  Object.assign(service, {
    runSync: boom,
    getSyncHistory: boom,
    getRun: boom,
    listConflicts: boom,
    resolveConflict: boom,
    listLedger: boom,
    getOverview: boom,
    checkSchema: boom,
  });
  service.listConfigs = () => {
    throw new Error("boom");
  };
  return service;
}

describe("every route's answers match api/admin.openapi.yaml", () => {
  test("success bodies", async () => {
    expect((await exchange("syncConfigs", {})).status).toBe(200);
    expect((await exchange("syncRuns", { method: "POST", params: lp, json: { dryRun: true } })).status).toBe(200);
    expect((await exchange("syncRuns", { params: lp, service: await withRuns() })).status).toBe(200);
    expect((await exchange("syncRun", { params: { ...lp, runId: "run-2" }, service: await withRuns() })).status).toBe(200);
    expect((await exchange("syncConflicts", { params: lp })).status).toBe(200);
    expect((await exchange("syncCheck", { params: lp })).status).toBe(200);
    expect((await exchange("syncOverview", { params: lp, service: await withRuns() })).status).toBe(200);
    expect((await exchange("syncOverview", { params: { configId: "archive" } })).status).toBe(200);
    expect((await exchange("syncLedger", { params: lp })).status).toBe(200);
    expect((await exchange("syncConflictResolution", { method: "POST", params: c1, json: { choice: "value", values: { phone: null } } })).status).toBe(200);
  });

  test("error bodies", async () => {
    const running = new FakeService();
    running.running.set("likepersons", "run-x");
    const resolved = new FakeService();
    await resolved.resolveConflict("likepersons", "c-1", { choice: "portal" });
    const cases: [string, CallInit & { auth?: boolean; service?: FakeService }, number][] = [
      ["syncRuns", { method: "POST", params: lp, json: { dryRun: 1 } }, 400],
      ["syncRuns", { method: "POST", params: { configId: "a/b" } }, 400],
      ["syncRuns", { params: lp, query: { limit: "-1" } }, 400],
      ["syncRun", { params: { ...lp, runId: "'" } }, 400],
      ["syncConflicts", { params: lp, query: { status: "x" } }, 400],
      ["syncConflictResolution", { method: "POST", params: c1, headers: { "content-type": "application/json" }, body: "{" }, 400],
      ["syncOverview", { params: { configId: "a b" } }, 400],
      ["syncLedger", { params: { configId: "a b" } }, 400],
      ["syncOverview", { params: { configId: "nosuch" } }, 404],
      ["syncLedger", { params: { configId: "nosuch" } }, 404],
      ["syncRuns", { method: "POST", params: { configId: "nosuch" } }, 404],
      ["syncRuns", { params: { configId: "nosuch" } }, 404],
      ["syncRun", { params: { ...lp, runId: "run-404" } }, 404],
      ["syncConflicts", { params: { configId: "nosuch" } }, 404],
      ["syncCheck", { params: { configId: "nosuch" } }, 404],
      ["syncCheck", { params: { configId: "a/b" } }, 400],
      ["syncConflictResolution", { method: "POST", params: { ...lp, conflictId: "c-404" }, json: { choice: "meander" } }, 404],
      ["syncRuns", { method: "POST", params: lp, service: running }, 409],
      ["syncConflictResolution", { method: "POST", params: c1, json: { choice: "meander" }, service: resolved }, 409],
      ["syncRuns", { method: "POST", params: lp, json: { x: "y".repeat(65 * 1024) } }, 413],
      ["syncConflictResolution", { method: "POST", params: c1, json: { x: "y".repeat(65 * 1024) } }, 413],
      ["syncRuns", { method: "POST", params: lp, headers: { "content-type": "text/plain" }, body: "{}" }, 415],
      ["syncConflictResolution", { method: "POST", params: c1, headers: { "content-type": "text/csv" }, body: "a,b" }, 415],
    ];
    for (const [name, route] of Object.entries(routeOf)) {
      const params = { ...c1, runId: "run-1" };
      const noRole = { "x-ms-client-principal": Buffer.from('{"claims":[]}').toString("base64") };
      cases.push([name, { method: "PATCH", params }, 405]);
      for (const method of operationsOf(docPath(route))) {
        const json = method === "POST" && name === "syncConflictResolution" ? { choice: "meander" } : undefined;
        cases.push([name, { method, params, auth: true }, 401], [name, { method, params, auth: true, headers: noRole }, 403]);
        cases.push([name, { method, params, service: failing(), json }, 500]);
      }
    }
    for (const [name, init, status] of cases) {
      const r = await exchange(name, init);
      expect(r.status, `${name} ${JSON.stringify(init.params)} ${init.method ?? "GET"}`).toBe(status);
    }
  });

  afterAll(() => {
    // Every documented answer was produced by the real handlers at least once.
    const missing = documentedStatuses().filter((s) => !seen.has(s));
    expect(missing).toEqual([]);
  });
});

describe("the document itself", () => {
  test("is a structurally valid OpenAPI 3.1 document", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(oas31Schema);
    expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
  });

  test("every component schema compiles in ajv's strict mode", () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    addFormats(ajv);
    const schemas = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    const defs = JSON.parse(JSON.stringify(schemas).replaceAll('"#/components/schemas/', '"#/$defs/')) as Record<string, unknown>;
    ajv.addSchema({ $id: "admin-components", $defs: defs });
    for (const name of Object.keys(schemas)) expect(ajv.getSchema(`admin-components#/$defs/${name}`), name).toBeTypeOf("function");
  });
});

describe("the document and the code agree", () => {
  test("the document's paths are exactly the registered routes", () => {
    expect(Object.keys(doc.paths).sort()).toEqual(Object.values(routeOf).map(docPath).sort());
  });

  test("request bodies: the document and the zod schemas accept and refuse alike", async () => {
    const resolution = requestValidator("/sync/{configId}/conflicts/{conflictId}/resolution", "POST");
    const run = requestValidator("/sync/{configId}/runs", "POST");
    for (const body of [{ choice: "meander" }, { choice: "value", values: { phone: "+47" } }]) {
      expect(resolution(body)).toBe(true);
      expect((await exchange("syncConflictResolution", { method: "POST", params: c1, json: body })).status).toBe(200);
    }
    for (const body of [{ choice: "both" }, { choice: "meander", extra: 1 }, {}]) {
      expect(resolution(body)).toBe(false);
      expect((await exchange("syncConflictResolution", { method: "POST", params: c1, json: body })).status).toBe(400);
    }
    expect(run({ dryRun: true })).toBe(true);
    expect(run({ dryRun: "yes" })).toBe(false);
    expect(run({ other: true })).toBe(false);
  });
});
