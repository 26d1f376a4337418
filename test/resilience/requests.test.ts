/**
 * Bad input at the HTTP door: generated requests (fast-check) at every route of the app,
 * served over real HTTP by the local functions server with the real service behind it:
 * random methods, paths (with invalid percent-encoding and invalid UTF-8), headers,
 * queries, and bodies up to 1 MB, invalid UTF-8 included. No answer is a 5xx, none carries
 * a stack trace, a secret, the function key sent, or a canary's personal data.
 *
 * test/functions/http.test.ts fuzzes the handlers against a fake service with small
 * bodies; this goes through the server's routing and the real service.
 */
import { METHODS, request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Served, serve } from "./http.js";
import { exposedText, leaks, secretsOf } from "./leaks.js";
import { Summary } from "./summary.js";
import { smallDataset, startWorld, suiteSeed, type World } from "./world.js";

const FILE = "requests.test.ts";
const seed = suiteSeed(FILE);
const summary = new Summary(FILE, seed);
const FUNCTION_KEY = "fnkey-Zq81vXc0-canary";
const STACK = /\n\s+at\s|\bat [^\s]+ \(.*:\d+:\d+\)|node_modules|\.ts:\d+/;

interface Raw {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

function send(url: string, r: Raw): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: r.method, path: r.path, headers: r.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("likepersons", "activities", "configs", "runs", "conflicts", "resolution", "sync") },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.constantFrom("%C3%28", "%FF%FE", "%E2%82", "%", "%zz", "..", ".", "%2F", "%00", "a%0Ab", "x".repeat(400), "%F0%9F%92%A9") },
  { weight: 1, arbitrary: fc.uuid() },
);
const junk = fc.oneof(segment, fc.string({ maxLength: 20 }).map(encodeURIComponent));
const configId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("likepersons", "activities") }, { weight: 1, arbitrary: junk });
const id = fc.oneof(fc.uuid(), junk);
const query = fc.oneof(
  fc.constant(""),
  fc.constantFrom("?limit=5", "?limit=0", "?limit=101", "?limit=-1", "?limit=1e3", "?status=open", "?status=resolved", "?status=bogus", "?limit=5&limit=6"),
  fc.string({ maxLength: 60 }).map((q) => `?${q.replace(/[^A-Za-z0-9=&%._~-]/g, (c) => encodeURIComponent(c))}`),
);
/** Mostly the app's own routes with good and bad parameters; sometimes any path at all. */
const path = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom("configs", "{c}/runs", "{c}/runs/{id}", "{c}/conflicts", "{c}/conflicts/{id}/resolution"), configId, id, query)
      .map(([route, c, i, q]) => `/api/sync/${route.replace("{c}", c).replace("{id}", i)}${q}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom("/api/sync/", "/api/", "/"), fc.array(segment, { maxLength: 5 }), query)
      .map(([prefix, segments, q]) => `${prefix}${segments.join("/")}${q}`),
  },
);
// Methods an HTTP parser accepts (a made-up token is refused by Node's parser and, in Azure, by the front end, before any function runs).
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("GET", "POST", "GET", "POST", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") },
  // CONNECT is left out: Node's HTTP client tunnels it instead of sending a request.
  { weight: 1, arbitrary: fc.constantFrom(...METHODS.filter((m) => m !== "CONNECT")) },
);
const headerValue = fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
const headers = fc.record(
  {
    "content-type": fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/merge-patch+json",
      "multipart/form-data; boundary=x",
      "",
    ),
    "x-ms-client-principal": fc.oneof(
      headerValue,
      fc.json().map((j) => Buffer.from(j).toString("base64")),
    ),
    "x-forwarded-for": headerValue,
    accept: headerValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 4 }).map((j) => new TextEncoder().encode(j)) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('{"dryRun":true}', "{}", '{"choice":"portal"}', '{"choice":"value","values":{"chapter":"x"}}', "null", "[]", '"x"')
      .map((j) => new TextEncoder().encode(j)),
  },
  // Invalid UTF-8: lone continuation bytes, truncated sequences, overlongs.
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 512 }) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 1_048_576 }).map((n) => new TextEncoder().encode(`{"dryRun":true,"pad":"${"a".repeat(n)}"}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 1_048_576 }).map((n) => new Uint8Array(n).fill(0xff)) },
);

describe("bad input: generated HTTP requests at every route", () => {
  let w: World;
  let s: Served;
  beforeAll(async () => {
    w = await startWorld(smallDataset(seed));
    s = await serve(w);
    await w.service.runSync("likepersons", { trigger: "timer" });
  });
  afterAll(async () => {
    summary.write();
    await s?.server.close();
    await w?.close();
  });

  it("no 5xx, no stack trace, no secret or personal data in any answer", { timeout: 90_000 }, async () => {
    let tried = 0;
    let fiveHundreds = 0;
    let traces = 0;
    const statuses = new Map<number, number>();
    const secrets = [...(await secretsOf(w)), FUNCTION_KEY];
    const problems: string[] = [];
    const run = await fc.check(
      fc.asyncProperty(method, path, headers, body, async (m, p, h, b) => {
        const length: Record<string, string> = b ? { "content-length": String(b.byteLength) } : {};
        const given = Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => typeof e[1] === "string"));
        const sent: Raw = { method: m, path: p, headers: { ...given, ...length, "x-functions-key": FUNCTION_KEY }, ...(b ? { body: b } : {}) };
        const answer = await send(s.server.url, sent).catch((error: Error) => ({ status: 0, text: `no answer: ${error.message}` }));
        tried += 1;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500) fiveHundreds += 1;
        if (STACK.test(answer.text)) traces += 1;
        const bad = answer.status >= 500 || answer.status === 0 || STACK.test(answer.text) || leaks(answer.text, secrets).count > 0;
        // Only the request line is reported: the body may be a megabyte.
        if (bad) problems.push(`${m} ${p.slice(0, 100)} (${b?.byteLength ?? 0} bytes) -> ${answer.status} ${answer.text.slice(0, 120)}`);
        return !bad;
      }),
      { numRuns: 250, seed, endOnFailure: true },
    );
    expect(problems, run.failed ? `failed after ${run.numRuns} requests` : "").toEqual([]);
    const leaked = leaks(await exposedText(w), secrets);
    summary.add("bad input: HTTP requests", `${tried} generated requests`, {
      ok: fiveHundreds === 0 && traces === 0 && leaked.count === 0,
      requests: tried,
      fiveHundreds,
      stackTraces: traces,
      leakedCanaries: leaked.count,
      statuses: JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]))),
    });
    expect(leaked).toEqual({ count: 0, found: [] });
  });
});
