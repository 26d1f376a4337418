/**
 * Reading x-ms-dop-hint off responses of one environment: a plain HTTP server stands in,
 * any Node client request to it is observed (the diagnostics channel sees them all).
 */
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchDopHint } from "../../shared/adapters/dataverse/dopHint.js";

describe("watchDopHint", () => {
  let server: Server;
  let other: Server;
  let origin: string;
  let otherOrigin: string;
  let next: string | undefined;
  beforeAll(async () => {
    const start = async (s: Server) => {
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    server = createServer((_req, res) => {
      res.writeHead(200, next === undefined ? {} : { "x-ms-dop-hint": next });
      res.end("{}");
    });
    other = createServer((_req, res) => {
      res.writeHead(200, { "x-ms-dop-hint": "1" });
      res.end("{}");
    });
    origin = await start(server);
    otherOrigin = await start(other);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => other.close(resolve));
  });

  const request = (url: string) =>
    new Promise<void>((resolve, reject) => {
      get(`${url}/api/data/v9.2/WhoAmI`, (res) => {
        res.resume();
        res.on("end", resolve);
      }).on("error", reject);
    });

  it("is unknown until a response carries it, then follows it down and up, capped at Dataverse's 52", async () => {
    const hint = watchDopHint(`${origin}/`);
    expect(hint()).toBeUndefined();
    next = "4";
    await request(origin);
    expect(hint()).toBe(4);
    next = "2";
    await request(origin);
    expect(hint()).toBe(2);
    next = "12";
    await request(origin);
    expect(hint()).toBe(12);
    next = "500";
    await request(origin);
    expect(hint()).toBe(52);
  });

  it("keeps the last good hint when a response has none or an unreadable one, and ignores other hosts", async () => {
    const hint = watchDopHint(origin);
    next = "6";
    await request(origin);
    for (const value of [undefined, "", "many", "0", "-3"]) {
      next = value;
      await request(origin);
      expect(hint()).toBe(6);
    }
    await request(otherOrigin);
    expect(hint()).toBe(6);
  });
});
