import { HttpRequest, HttpResponse, InvocationContext } from "@azure/functions";
import fc from "fast-check";
import { beforeEach, describe, expect, test } from "vitest";
import { createHttpFunctions } from "../../functions/syncHttp.js";
import { SettingsError } from "../../shared/errors.js";
import { type Called, caller } from "./call.js";
import { FakeService, SECRET_CANARY } from "./fakeService.js";

let service: FakeService;
let call: ReturnType<typeof caller>;

beforeEach(() => {
  service = new FakeService();
  call = caller(service);
});

const errorOf = (r: Called) => (r.body as { error: { code: string; message: string; field?: string; runningRunId?: string; invocationId?: string } }).error;
const lp = { configId: "likepersons" };
const principal = (claims: { typ: string; val: string }[]) => Buffer.from(JSON.stringify({ auth_typ: "aad", claims })).toString("base64");
const ADMIN = principal([
  { typ: "roles", val: "SyncAdmin" },
  { typ: "http://schemas.microsoft.com/identity/claims/objectidentifier", val: "0b7a1c44-0000-4000-8000-000000000001" },
]);

describe("routes", () => {
  test("GET sync/configs lists the configs", async () => {
    const r = await call("syncConfigs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect((r.body as { configs: { id: string }[] }).configs.map((c) => c.id)).toEqual(["likepersons", "activities", "archive"]);
  });

  test("POST runs without a body runs the config for real, as a manual run", async () => {
    const r = await call("syncRuns", { method: "POST", params: lp });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ configId: "likepersons", trigger: "manual", dryRun: false, status: "succeeded" });
    expect(service.calls).toEqual([{ configId: "likepersons", options: { trigger: "manual", dryRun: false } }]);
    expect(r.logs).toContainEqual({
      level: "information",
      line: expect.objectContaining({
        message: "sync.http",
        function: "syncRuns",
        configId: "likepersons",
        runId: "run-1",
        runStatus: "succeeded",
        status: 200,
      }),
    });
  });

  test('POST runs with {"dryRun": true} returns the plan', async () => {
    const r = await call("syncRuns", { method: "POST", params: lp, json: { dryRun: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ dryRun: true, plan: { massDeleteBlocked: false } });
    expect(service.calls[0]?.options).toEqual({ trigger: "manual", dryRun: true });
  });

  test("GET runs: newest first, limit defaults to 20 and is honoured", async () => {
    for (let i = 0; i < 3; i++) await call("syncRuns", { method: "POST", params: lp });
    const all = await call("syncRuns", { params: lp });
    expect((all.body as { runs: { runId: string }[] }).runs.map((r) => r.runId)).toEqual(["run-3", "run-2", "run-1"]);
    const one = await call("syncRuns", { params: lp, query: { limit: "1", code: "function-key" } });
    expect((one.body as { runs: unknown[] }).runs).toHaveLength(1);
  });

  test("GET one run, and 404 for a run that does not exist", async () => {
    await call("syncRuns", { method: "POST", params: lp });
    expect((await call("syncRun", { params: { ...lp, runId: "run-1" } })).body).toMatchObject({ runId: "run-1" });
    const missing = await call("syncRun", { params: { ...lp, runId: "run-9" } });
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toMatchObject({ code: "NOT_FOUND", field: "runId" });
  });

  test("GET conflicts: open by default, resolved on request", async () => {
    const open = await call("syncConflicts", { params: lp });
    expect(open.body).toMatchObject({ status: "open", conflicts: [{ conflictId: "c-1" }] });
    const resolved = await call("syncConflicts", { params: lp, query: { status: "resolved" } });
    expect(resolved.body).toMatchObject({ status: "resolved", conflicts: [] });
  });

  test("POST resolution resolves once; a second time is 409", async () => {
    const params = { ...lp, conflictId: "c-1" };
    const first = await call("syncConflictResolution", { method: "POST", params, json: { choice: "value", values: { phone: "+4792222222" } } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "resolved", resolution: { choice: "value", values: { phone: "+4792222222" } } });
    const again = await call("syncConflictResolution", { method: "POST", params, json: { choice: "portal" } });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe("CONFLICT_STATE");
  });
});

describe("bad input is a 4xx naming the problem", () => {
  const params = { ...lp, conflictId: "c-1" };

  test("malformed JSON → 400", async () => {
    const r = await call("syncConflictResolution", { method: "POST", params, headers: { "content-type": "application/json" }, body: '{"choice": "meander"' });
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ code: "MALFORMED_JSON", field: "body" });
  });

  test.each([["text/plain"], ["application/x-www-form-urlencoded"], ["multipart/form-data; boundary=x"]])("Content-Type %s → 415", async (type) => {
    const r = await call("syncRuns", { method: "POST", params: lp, headers: { "content-type": type }, body: '{"dryRun": true}' });
    expect(r.status).toBe(415);
    expect(errorOf(r)).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", field: "Content-Type" });
    expect(service.calls).toHaveLength(0);
  });

  test("a body over 64 KiB → 413", async () => {
    const r = await call("syncConflictResolution", { method: "POST", params, json: { choice: "meander", pad: "x".repeat(70 * 1024) } });
    expect(r.status).toBe(413);
    expect(errorOf(r).code).toBe("BODY_TOO_LARGE");
  });

  test.each([
    [{ choice: "both" }, "body.choice"],
    [{}, "body.choice"],
    [{ choice: "value" }, "body.values"],
    [{ choice: "meander", values: { phone: "x" } }, "body.values"],
    [{ choice: "value", values: { phone: { nested: 1 } } }, "body.values.phone"],
    [{ choice: "meander", extra: 1 }, "body.extra"],
    [{ choice: "value", values: { [`'${"x".repeat(2000)}`]: "a" } }, "body.values.(key)"],
    [{ choice: "meander", [`ola@example.no`]: 1 }, "body"],
    [[], "body"],
    ["meander", "body"],
  ])("resolution body %j → 400 naming %s", async (json, field) => {
    const r = await call("syncConflictResolution", { method: "POST", params, json });
    expect(r.status).toBe(400);
    expect(errorOf(r).field).toBe(field);
    expect(r.text).not.toMatch(/x{100}|ola@example/);
  });

  test("no body on a resolution → 400 body required", async () => {
    const r = await call("syncConflictResolution", { method: "POST", params });
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ field: "body", message: "body: is required" });
  });

  test("a value for a field the conflict does not have → 400 from the service's ValidationError", async () => {
    const r = await call("syncConflictResolution", { method: "POST", params, json: { choice: "value", values: { email: "x" } } });
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ code: "VALIDATION_FAILED", field: "values.email" });
  });

  test.each([
    [{ dryRun: "yes" }, "body.dryRun"],
    [{ dryrun: true }, "body.dryrun"],
    [null, "body"],
  ])("run body %j → 400 naming %s", async (json, field) => {
    const r = await call("syncRuns", { method: "POST", params: lp, json });
    expect(r.status).toBe(400);
    expect(errorOf(r).field).toBe(field);
    expect(service.calls).toHaveLength(0);
  });

  test.each(["-1", "abc", "100000", "0", "1.5", "", " 5"])("limit=%j → 400", async (limit) => {
    const r = await call("syncRuns", { params: lp, query: { limit } });
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ code: "INVALID_INPUT", field: "limit" });
  });

  test("status=bogus → 400", async () => {
    const r = await call("syncConflicts", { params: lp, query: { status: "bogus" } });
    expect(errorOf(r)).toMatchObject({ field: "status" });
  });

  const badIds: [string, string][] = [
    ["a/b", "a/b"],
    ["o'brien", "o'brien"],
    ["2 KB of text", "x".repeat(2048)],
    ["../etc", "../etc"],
    ["a b", "a b"],
    ["likepersons?x", "likepersons?x"],
    ["æøå", "æøå"],
  ];
  const bodyFor = (name: string, method: string) => (method === "POST" && name === "syncConflictResolution" ? { choice: "meander" } : undefined);
  const routes = [
    ["syncRuns", "GET"],
    ["syncRuns", "POST"],
    ["syncRun", "GET"],
    ["syncConflicts", "GET"],
    ["syncConflictResolution", "POST"],
  ] as const;

  test.each(badIds)("config id %s → 400 on every route, not echoed", async (_, configId) => {
    for (const [name, method] of routes) {
      const r = await call(name, { method, params: { configId, runId: "run-1", conflictId: "c-1" }, json: bodyFor(name, method) });
      expect(r.status, `${method} ${name}`).toBe(400);
      expect(errorOf(r).field).toBe("configId");
      if (configId.length > 20) expect(r.text).not.toContain(configId.slice(0, 100));
    }
  });

  test("unknown config → 404 on every route", async () => {
    for (const [name, method] of routes) {
      const r = await call(name, { method, params: { configId: "nosuch", runId: "run-1", conflictId: "c-1" }, json: bodyFor(name, method) });
      expect(r.status, `${method} ${name}`).toBe(404);
      expect(errorOf(r)).toMatchObject({ code: "UNKNOWN_CONFIG", field: "configId" });
    }
  });

  test("unknown conflict → 404; bad run and conflict ids → 400", async () => {
    expect((await call("syncConflictResolution", { method: "POST", params: { ...lp, conflictId: "c-404" }, json: { choice: "meander" } })).status).toBe(404);
    expect(errorOf(await call("syncRun", { params: { ...lp, runId: "a/b" } })).field).toBe("runId");
    expect(errorOf(await call("syncConflictResolution", { method: "POST", params: { ...lp, conflictId: "'" }, json: { choice: "meander" } })).field).toBe(
      "conflictId",
    );
  });

  test.each([
    ["syncConfigs", "POST", "GET"],
    ["syncRuns", "DELETE", "POST, GET"],
    ["syncRun", "PUT", "GET"],
    ["syncConflicts", "PATCH", "GET"],
    ["syncConflictResolution", "GET", "POST"],
  ])("%s with %s → 405, Allow: %s", async (name, method, allow) => {
    const r = await call(name, { method, params: { ...lp, runId: "run-1", conflictId: "c-1" } });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe(allow);
    expect(errorOf(r).code).toBe("METHOD_NOT_ALLOWED");
  });

  test("already running → 409 with the running run's id", async () => {
    service.running.set("likepersons", "run-holding");
    const r = await call("syncRuns", { method: "POST", params: lp });
    expect(r.status).toBe(409);
    expect(errorOf(r)).toMatchObject({ code: "ALREADY_RUNNING", runningRunId: "run-holding" });
  });

  test("no 5xx for any bad input (property)", async () => {
    const text = fc.oneof(fc.string(), fc.constantFrom("likepersons", "a/b", "'", "%2F", "x".repeat(300)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        text,
        text,
        fc.option(fc.oneof(fc.string(), fc.json()), { nil: undefined }),
        fc.constantFrom("application/json", "text/plain", "application/merge-patch+json", ""),
        async ([name, method], configId, limit, body, type) => {
          const r = await call(name, {
            method,
            params: { configId, runId: limit, conflictId: limit },
            query: { limit, status: limit },
            headers: type ? { "content-type": type } : {},
            body,
          });
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) expect(errorOf(r).code).toMatch(/^[A-Z_]+$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("unexpected errors", () => {
  test.each(["throw", "explode"] as const)("a service that %ss → 500 with the invocation id, nothing else", async (mode) => {
    service.behaviour.set("likepersons", mode);
    const r = await call("syncRuns", { method: "POST", params: lp });
    expect(r.status).toBe(500);
    expect(errorOf(r)).toEqual({ code: "INTERNAL", message: "unexpected error; quote invocation inv-0001 to an operator", invocationId: "inv-0001" });
    expect(r.text).not.toContain("c4n4ry");
    expect(r.text).not.toMatch(/at .*\.ts:\d+/);
    expect(JSON.stringify(r.logs)).not.toContain("c4n4ry");
    expect(r.logs).toContainEqual({
      level: "error",
      line: expect.objectContaining({ message: "sync.http.unexpected", code: "UNEXPECTED", invocationId: "inv-0001" }),
    });
    expect(SECRET_CANARY).toContain("c4n4ry");
  });
});

test("a service that cannot be built (a bad setting) → 500; the log names the setting, the body does not", async () => {
  const [configs] = createHttpFunctions({
    getService: () => Promise.reject(new SettingsError("DATAVERSE_URL", "must be an https URL")),
    auth: () => ({ enabled: false, adminRole: "SyncAdmin" }),
  });
  const logs: string[] = [];
  const context = new InvocationContext({ functionName: "syncConfigs", invocationId: "inv-2", logHandler: (_l, ...a) => logs.push(String(a[0])) });
  const r = new HttpResponse(await configs!.options.handler(new HttpRequest({ method: "GET", url: "http://localhost/api/sync/configs" }), context));
  expect(r.status).toBe(500);
  expect(await r.text()).not.toContain("DATAVERSE_URL");
  expect(logs.some((l) => l.includes('"code":"SETTING_INVALID"') && l.includes("setting DATAVERSE_URL"))).toBe(true);
});

describe("the client principal", () => {
  test("auth off: a forged header is ignored entirely", async () => {
    const forged = principal([{ typ: "roles", val: "Nobody" }]);
    const r = await call("syncConflictResolution", {
      method: "POST",
      params: { ...lp, conflictId: "c-1" },
      headers: { "x-ms-client-principal": forged, "x-ms-client-principal-id": "forged-id" },
      json: { choice: "portal" },
    });
    expect(r.status).toBe(200);
    expect((r.body as { resolution: { resolvedBy?: string } }).resolution.resolvedBy).toBeUndefined();
    expect((await call("syncConfigs", { headers: { "x-ms-client-principal": "%%%garbage" } })).status).toBe(200);
  });

  describe("auth on", () => {
    beforeEach(() => {
      call = caller(service, { enabled: true, adminRole: "SyncAdmin" });
    });

    test.each([
      ["no header", undefined],
      ["not base64 JSON", "%%%garbage"],
      ["JSON without claims", Buffer.from('{"auth_typ":"aad"}').toString("base64")],
    ])("%s → 401", async (_, header) => {
      const r = await call("syncConfigs", { headers: header ? { "x-ms-client-principal": header } : {} });
      expect(r.status).toBe(401);
      expect(errorOf(r).code).toBe("UNAUTHENTICATED");
    });

    test("an identity without the admin role → 403, on every route, before any input is read", async () => {
      const reader = principal([
        { typ: "roles", val: "Reader" },
        { typ: "name", val: "SyncAdmin" },
      ]);
      for (const [name, method] of [
        ["syncConfigs", "GET"],
        ["syncRuns", "POST"],
        ["syncConflictResolution", "POST"],
      ] as const) {
        const r = await call(name, { method, params: { configId: "a/b", conflictId: "c-1" }, headers: { "x-ms-client-principal": reader }, body: "{" });
        expect(r.status).toBe(403);
        expect(errorOf(r).code).toBe("FORBIDDEN");
      }
      expect(service.calls).toHaveLength(0);
    });

    test("the admin role → served, and the resolution records the caller's object id", async () => {
      expect((await call("syncConfigs", { headers: { "x-ms-client-principal": ADMIN } })).status).toBe(200);
      const r = await call("syncConflictResolution", {
        method: "POST",
        params: { ...lp, conflictId: "c-1" },
        headers: { "x-ms-client-principal": ADMIN },
        json: { choice: "meander" },
      });
      expect(r.status).toBe(200);
      expect((r.body as { resolution: { resolvedBy?: string } }).resolution.resolvedBy).toBe("0b7a1c44-0000-4000-8000-000000000001");
    });

    test("a custom role claim type (role_typ) is honoured", async () => {
      const header = Buffer.from(
        JSON.stringify({
          role_typ: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
          claims: [{ typ: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role", val: "SyncAdmin" }],
        }),
      ).toString("base64");
      expect((await call("syncConfigs", { headers: { "x-ms-client-principal": header } })).status).toBe(200);
    });
  });
});

test("every route sets authLevel function explicitly", async () => {
  const { createHttpFunctions } = await import("../../functions/syncHttp.js");
  const fns = createHttpFunctions({ getService: async () => service });
  expect(fns.map((f) => [f.name, f.options.authLevel])).toEqual([
    ["syncConfigs", "function"],
    ["syncCheck", "function"],
    ["syncRuns", "function"],
    ["syncRun", "function"],
    ["syncConflicts", "function"],
    ["syncConflictResolution", "function"],
    ["syncOverview", "function"],
    ["syncLedger", "function"],
  ]);
});
