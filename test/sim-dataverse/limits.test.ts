import { afterEach, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

describe("Dataverse simulator: service protection and faults", () => {
  let sim: DataverseSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("answers 429 with Retry-After past the requests-per-window limit and counts early retries", async () => {
    sim = await startSim({ limits: { requestsPerWindow: 3, windowMs: 1000, maxConcurrent: 10 } });
    const token = await getToken(sim);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await api(sim, token, "GET", "contacts");
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("x-ms-ratelimit-burst-remaining-xrm-requests"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const throttled = await api(sim, token, "GET", "contacts");
    expect(throttled.status).toBe(429);
    expect(sim.counters().byKind.get).toBe(3);
    expect(throttled.json.error.code).toBe("0x80072322");
    const retryAfter = Number(throttled.headers.get("retry-after"));
    expect(retryAfter).toBe(1);
    expect(sim.counters().retryAfterViolations).toBe(0);

    // Sent knowingly, well before the Retry-After is over.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const early = await api(sim, token, "GET", "contacts");
    expect(early.status).toBe(429);
    expect(sim.counters().retryAfterViolations).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, Number(early.headers.get("retry-after")) * 1000));
    const polite = await api(sim, token, "GET", "contacts");
    expect(polite.status).toBe(200);
    const counters = sim.counters();
    expect(counters.retryAfterViolations).toBe(1);
    expect(counters.throttled).toBe(2);
  });

  it("does not count requests already on their way when the 429 went out as violations", async () => {
    sim = await startSim({ limits: { requestsPerWindow: 2, windowMs: 1000, maxConcurrent: 10 } });
    const token = await getToken(sim);
    const current = sim;
    const burst = await Promise.all(Array.from({ length: 6 }, () => api(current, token, "GET", "contacts")));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429, 429]);
    expect(sim.counters().retryAfterViolations).toBe(0);
    expect(sim.counters().throttled).toBe(4);
  });

  it("answers 429 with the execution-time code once the combined execution time is used up", async () => {
    sim = await startSim({ perRecordMs: 60, limits: { requestsPerWindow: 100, windowMs: 2000, maxConcurrent: 10, executionMsPerWindow: 100 } });
    const token = await getToken(sim);
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
    const third = await api(sim, token, "GET", "contacts");
    expect(third.status).toBe(429);
    expect(third.json.error.code).toBe("0x80072321");
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("counts a $batch as one request for the limits, whatever it holds", async () => {
    sim = await startSim({ limits: { requestsPerWindow: 2, windowMs: 60_000, maxConcurrent: 10, retryAfterSeconds: 7 } });
    const token = await getToken(sim);
    const ops = Array.from({ length: 5 }, (_, i) =>
      [
        "--b",
        "Content-Type: application/http",
        "",
        `POST contacts HTTP/1.1`,
        "Content-Type: application/json",
        "",
        JSON.stringify({ firstname: `n${i}` }),
      ].join("\r\n"),
    );
    const body = `${ops.join("\r\n")}\r\n--b--\r\n`;
    const batch = await api(sim, token, "POST", "$batch", { body, headers: { "Content-Type": "multipart/mixed;boundary=b" } });
    expect(batch.status).toBe(200);
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
    const third = await api(sim, token, "GET", "contacts");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("7");
    expect(sim.counters().batchOperations).toBe(5);
  });

  it("answers 429 with the concurrency code past maxConcurrent requests in flight", async () => {
    sim = await startSim({ perRecordMs: 400, limits: { requestsPerWindow: 1000, windowMs: 60_000, maxConcurrent: 2 } });
    const token = await getToken(sim);
    const current = sim;
    const results = await Promise.all(Array.from({ length: 4 }, () => api(current, token, "GET", "contacts")));
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([200, 200, 429, 429]);
    expect(results.find((r) => r.status === 429)?.json.error.code).toBe("0x80072326");
    expect(sim.counters().maxConcurrentSeen).toBe(2);
  });

  it("injects status faults with Retry-After on the next matching requests only", async () => {
    sim = await startSim();
    const token = await getToken(sim);
    sim.faults.failNext(2, { status: 503, retryAfterSeconds: 1, match: (method) => method === "PATCH" });
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
    const first = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { firstname: "a" } });
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    expect(first.json.error.code).toMatch(/^0x/);
    expect((await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { firstname: "a" } })).status).toBe(503);
    expect((await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { firstname: "a" } })).status).toBe(204);
  });

  it("drops the connection mid-response, before any response, or after applying a write", async () => {
    sim = await startSim();
    const token = await getToken(sim);
    sim.faults.failNext(1, { drop: true });
    await expect(api(sim, token, "GET", "contacts")).rejects.toThrow();
    sim.faults.failNext(1, { drop: "beforeResponse" });
    await expect(api(sim, token, "POST", "contacts", { body: { firstname: "lost" } })).rejects.toThrow();
    expect(sim.store.list("contacts")).toEqual([]);
    sim.faults.failNext(1, { drop: "afterProcessing" });
    await expect(api(sim, token, "POST", "contacts", { body: { firstname: "applied" } })).rejects.toThrow();
    expect(sim.store.list("contacts").map((row) => row.firstname)).toEqual(["applied"]);
  });

  it("delays and clears faults", async () => {
    sim = await startSim();
    const token = await getToken(sim);
    sim.faults.failNext(1, { delayMs: 120 });
    const started = Date.now();
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    sim.faults.failNext(5, { status: 500 });
    sim.faults.clear();
    expect((await api(sim, token, "GET", "contacts")).status).toBe(200);
  });

  it("adds latencyMs to each request and perRecordMs to each operation in a batch", async () => {
    sim = await startSim({ latencyMs: 40, perRecordMs: 20 });
    const token = await getToken(sim);
    let started = Date.now();
    await api(sim, token, "GET", "contacts");
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    const ops = Array.from({ length: 4 }, (_, i) =>
      [
        "--b",
        "Content-Type: application/http",
        "",
        "POST contacts HTTP/1.1",
        "Content-Type: application/json",
        "",
        JSON.stringify({ firstname: `n${i}` }),
      ].join("\n"),
    );
    started = Date.now();
    await api(sim, token, "POST", "$batch", { body: `${ops.join("\n")}\n--b--\n`, headers: { "Content-Type": "multipart/mixed;boundary=b" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });
});
