/**
 * Who reaches the console and its mount of the admin API (functions/http/session.ts):
 * anonymous to the Functions host, so the signed-in admin is the gate, a hosted app without
 * App Service authentication refuses everyone, and a state-changing call needs the console's header.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpRequest, HttpResponse, InvocationContext } from "@azure/functions";
import { describe, expect, test } from "vitest";
import { createConsoleFunctions } from "../../functions/console.js";
import { FakeService } from "../functions/fakeService.js";

const dir = mkdtempSync(join(tmpdir(), "console-dist-"));
mkdirSync(join(dir, "assets"));
writeFileSync(join(dir, "index.html"), "<!doctype html><title>x</title>");
writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");

const principal = (roles: string[], oid = "00000000-0000-4000-8000-0000000000aa") =>
  Buffer.from(
    JSON.stringify({
      auth_typ: "aad",
      claims: [{ typ: "http://schemas.microsoft.com/identity/claims/objectidentifier", val: oid }, ...roles.map((val) => ({ typ: "roles", val }))],
    }),
  ).toString("base64");

interface Setup {
  auth?: boolean;
  hosted?: boolean;
  consoleDir?: string;
}

function consoleCaller(setup: Setup = {}, service = new FakeService()) {
  const functions = createConsoleFunctions({
    getService: async () => service,
    auth: () => ({ enabled: setup.auth === true, adminRole: "SyncAdmin" }),
    hosted: () => setup.hosted === true,
    consoleDir: setup.consoleDir ?? dir,
  });
  return async (name: string, init: { method?: string; params?: Record<string, string>; headers?: Record<string, string>; json?: unknown } = {}) => {
    const fn = functions.find((f) => f.name === name);
    if (!fn) throw new Error(`no function ${name}`);
    const method = init.method ?? "GET";
    const request = new HttpRequest({
      method,
      url: `http://localhost:7071/api/${fn.options.route}`,
      headers: { ...(init.json !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
      params: init.params ?? {},
      ...(init.json !== undefined ? { body: { string: JSON.stringify(init.json) } } : {}),
    });
    const context = new InvocationContext({ functionName: name, invocationId: "inv-1", logHandler: () => undefined });
    const response = new HttpResponse(await fn.options.handler(request, context));
    const text = await response.text();
    let body: { error?: { code?: string; field?: string } } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  };
}

const lp = { configId: "likepersons" };
const CONSOLE = { "x-sync-console": "1" };

describe("the console's routes", () => {
  test("are anonymous to the host and mirror every admin route under console/api", () => {
    const fns = createConsoleFunctions({ getService: async () => new FakeService(), consoleDir: dir });
    expect(fns.every((f) => f.options.authLevel === "anonymous")).toBe(true);
    expect(fns.filter((f) => f.options.route?.startsWith("console/api/sync/")).length).toBe(8);
  });

  test("hosted in App Service without authentication: nobody gets in", async () => {
    const call = consoleCaller({ hosted: true, auth: false });
    for (const [name, params] of [
      ["consolePage", {}],
      ["consoleSyncConfigs", {}],
      ["consoleSyncRuns", lp],
    ] as const) {
      const r = await call(name, { params, headers: { ...CONSOLE, "x-ms-client-principal": principal(["SyncAdmin"]) } });
      expect([name, r.status, r.body?.error?.code]).toEqual([name, 403, "AUTH_REQUIRED"]);
    }
  });

  test("with authentication: 401 without a sign-in, 403 without the role, the admin gets in", async () => {
    const call = consoleCaller({ hosted: true, auth: true });
    expect((await call("consoleSyncConfigs")).status).toBe(401);
    expect((await call("consolePage")).status).toBe(401);
    expect((await call("consoleSyncConfigs", { headers: { "x-ms-client-principal": principal(["Reader"]) } })).status).toBe(403);
    const admin = { "x-ms-client-principal": principal(["SyncAdmin"]) };
    expect((await call("consoleSyncConfigs", { headers: admin })).status).toBe(200);
    expect((await call("consoleSyncOverview", { params: lp, headers: admin })).status).toBe(200);
    expect((await call("consolePage", { headers: admin })).status).toBe(200);
  });

  test("a state-changing call without X-Sync-Console: 1 is refused, even for the admin", async () => {
    const service = new FakeService();
    const call = consoleCaller({ hosted: true, auth: true }, service);
    const admin = { "x-ms-client-principal": principal(["SyncAdmin"]) };
    const bare = await call("consoleSyncRuns", { method: "POST", params: lp, headers: admin });
    expect([bare.status, bare.body?.error?.code, bare.body?.error?.field]).toEqual([403, "CONSOLE_HEADER_REQUIRED", "x-sync-console"]);
    const resolution = { ...lp, conflictId: "c-1" };
    const refused = await call("consoleSyncConflictResolution", { method: "POST", params: resolution, headers: admin, json: { choice: "portal" } });
    expect(refused.status).toBe(403);
    expect(service.calls).toEqual([]);
    expect(service.conflicts.get("c-1")?.status).toBe("open");

    expect((await call("consoleSyncRuns", { method: "POST", params: lp, headers: { ...admin, ...CONSOLE } })).status).toBe(200);
    const decided = await call("consoleSyncConflictResolution", {
      method: "POST",
      params: resolution,
      headers: { ...admin, ...CONSOLE },
      json: { choice: "portal" },
    });
    expect(decided.status).toBe(200);
    // The decision keeps who made it: the signed-in admin's object id.
    expect(service.conflicts.get("c-1")?.resolution?.resolvedBy).toBe("00000000-0000-4000-8000-0000000000aa");
  });

  test("the local stack (not hosted, authentication off) is open, and still wants the header for changes", async () => {
    const call = consoleCaller({ hosted: false, auth: false });
    expect((await call("consoleSyncConfigs")).status).toBe(200);
    expect((await call("consoleSyncRuns", { method: "POST", params: lp })).status).toBe(403);
    expect((await call("consoleSyncRuns", { method: "POST", params: lp, headers: CONSOLE })).status).toBe(200);
  });
});

describe("the console's files", () => {
  test("the page and an asset, with a CSP that allows no inline script and no other origin", async () => {
    const call = consoleCaller();
    const page = await call("consolePage");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const asset = await call("consoleAsset", { params: { file: "index-abc123.js" } });
    expect([asset.status, asset.text, asset.headers.get("content-type")]).toEqual([200, "console.log(1)", "text/javascript; charset=utf-8"]);
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  test("only file names Vite writes: no paths, no dot-dot, no unknown types", async () => {
    const call = consoleCaller();
    expect((await call("consoleAsset", { params: { file: "../index.html" } })).status).toBe(400);
    expect((await call("consoleAsset", { params: { file: "..%2Fsecret.js" } })).status).toBe(400);
    expect((await call("consoleAsset", { params: { file: "x..js" } })).status).toBe(404);
    expect((await call("consoleAsset", { params: { file: "package.json" } })).status).toBe(404);
    expect((await call("consoleAsset", { params: { file: "missing.js" } })).status).toBe(404);
    expect((await call("consoleAsset", { method: "POST", params: { file: "index-abc123.js" }, headers: CONSOLE })).status).toBe(405);
  });

  test("not built yet: a 404 that says how to build it", async () => {
    const call = consoleCaller({ consoleDir: join(dir, "nowhere") });
    const r = await call("consolePage");
    expect(r.status).toBe(404);
    expect(r.text).toContain("npm run build");
  });
});
