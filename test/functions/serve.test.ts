import { afterAll, beforeAll, expect, test } from "vitest";
import { functionDefinitions } from "../../functions/definitions.js";
import { type LocalFunctionsServer, resolveSetting, serveFunctions } from "../../scripts/serve.js";
import { FakeService } from "./fakeService.js";
import { checkResponse } from "./openapi.js";

let service: FakeService;
let server: LocalFunctionsServer;
const logs: string[] = [];

beforeAll(async () => {
  service = new FakeService();
  server = await serveFunctions({
    definitions: functionDefinitions(async () => service),
    port: 0,
    schedule: "* * * * * *",
    log: (level, fn, line) => logs.push(`${level} ${fn} ${line}`),
  });
});
afterAll(() => server.close());

const api = (path: string, init?: RequestInit) => fetch(`${server.url}/api/${path}`, init);

test("routes requests to the registered handlers, with path params and query", async () => {
  const configs = await api("sync/configs?code=any-key");
  expect(configs.status).toBe(200);
  checkResponse("/sync/configs", "GET", 200, await configs.json());

  const run = await api("sync/likepersons/runs", { method: "POST", headers: { "content-type": "application/json" }, body: '{"dryRun":true}' });
  expect(run.status).toBe(200);
  const result = await run.json();
  checkResponse("/sync/{configId}/runs", "POST", 200, result);
  expect(result).toMatchObject({ configId: "likepersons", dryRun: true, trigger: "manual" });

  const history = await api("sync/likepersons/runs?limit=1");
  expect(((await history.json()) as { runs: unknown[] }).runs.length).toBeGreaterThan(0);
});

test("bad input over the wire: still a JSON 4xx", async () => {
  const encodedSlash = await api("sync/a%2Fb/runs");
  expect(encodedSlash.status).toBe(400);
  expect(await encodedSlash.json()).toMatchObject({ error: { field: "configId" } });
  const method = await api("sync/configs", { method: "DELETE" });
  expect([method.status, method.headers.get("allow")]).toEqual([405, "GET"]);
  const limit = await api("sync/likepersons/runs?limit=abc");
  expect(limit.status).toBe(400);
  const type = await api("sync/likepersons/runs", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
  expect(type.status).toBe(415);
  const big = await api("sync/likepersons/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ x: "y".repeat(100_000) }),
  });
  expect(big.status).toBe(413);
});

test("unknown paths are a JSON 404", async () => {
  for (const path of ["nothing", "sync", "sync/likepersons/runs/r/extra"]) {
    const r = await api(path);
    expect(r.status, path).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  }
  expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
});

test("the timer fires on its schedule and on demand", async () => {
  const before = service.calls.filter((c) => c.options.trigger === "timer").length;
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const scheduled = service.calls.filter((c) => c.options.trigger === "timer").length;
  expect(scheduled - before).toBeGreaterThanOrEqual(2);
  expect(server.nextTimer()).toBeInstanceOf(Date);
  await server.fireTimer(true);
  expect(logs.some((l) => l.includes("syncTimer") && l.includes('"isPastDue":true'))).toBe(true);
});

test("%SETTING% in trigger options resolves from the settings", () => {
  expect(resolveSetting("%SYNC_SCHEDULE%", { SYNC_SCHEDULE: "0 */5 * * * *" })).toBe("0 */5 * * * *");
});
