/** Query strings (where a lookup by e-mail puts the address) never reach an exported span. */
import { createServer } from "node:http";
import { afterAll, expect, test } from "vitest";
import { startInMemoryTelemetry } from "./otel.js";

const telemetry = startInMemoryTelemetry();
const server = createServer((_req, res) => res.end("[]")).listen(0, "127.0.0.1");
afterAll(() => new Promise((resolve) => server.close(resolve)));

test("fetch and node:http client spans keep the path and lose the query", async () => {
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  const query = `?$filter=${encodeURIComponent("emailaddress1 eq 'kanari.abcde@canary.example'")}`;
  await (await fetch(`http://127.0.0.1:${port}/api/data/v9.2/contacts${query}`)).text();
  const { request } = await import("node:http");
  await new Promise<void>((resolve, reject) => {
    request(`http://127.0.0.1:${port}/likepersons${query}`, (res) => res.resume().on("end", resolve))
      .on("error", reject)
      .end();
  });
  const clients = telemetry.spans.getFinishedSpans().filter((s) => s.kind === 2);
  expect(clients.length).toBe(2);
  const urls = clients.map((s) => String(s.attributes["url.full"] ?? s.attributes["http.url"]));
  expect(urls).toEqual([`http://127.0.0.1:${port}/api/data/v9.2/contacts?…`, `http://127.0.0.1:${port}/likepersons?…`]);
  expect(JSON.stringify(clients.map((s) => s.attributes))).not.toContain("canary");
});
