import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

interface Op {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  contentId?: string;
}

/** Writes a $batch body the way OData clients do; `eol` picks CRLF or LF. */
function batchBody(boundary: string, parts: (Op | Op[])[], eol: string): string {
  const opLines = (op: Op) => [
    "Content-Type: application/http",
    "Content-Transfer-Encoding: binary",
    ...(op.contentId ? [`Content-ID: ${op.contentId}`] : []),
    "",
    `${op.method} ${op.url} HTTP/1.1`,
    ...(op.body !== undefined ? ["Content-Type: application/json"] : []),
    ...Object.entries(op.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "",
    ...(op.body !== undefined ? [JSON.stringify(op.body)] : []),
  ];
  const lines: string[] = [];
  parts.forEach((part, i) => {
    lines.push(`--${boundary}`);
    if (Array.isArray(part)) {
      const changeset = `changeset_${i}`;
      lines.push(`Content-Type: multipart/mixed; boundary=${changeset}`, "");
      for (const op of part) lines.push(`--${changeset}`, ...opLines(op));
      lines.push(`--${changeset}--`);
    } else lines.push(...opLines(part));
  });
  lines.push(`--${boundary}--`, "");
  return lines.join(eol);
}

/** Splits a batch response into its operations' status codes (change sets flattened). */
function statuses(text: string): number[] {
  return [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
}

describe("Dataverse simulator: $batch", () => {
  let sim: DataverseSim;
  let token: string;

  const send = (parts: (Op | Op[])[], options: { eol?: string; prefer?: string } = {}) =>
    api(sim, token, "POST", "$batch", {
      body: batchBody("batch_abc", parts, options.eol ?? "\r\n"),
      headers: { "Content-Type": "multipart/mixed; boundary=batch_abc", ...(options.prefer ? { Prefer: options.prefer } : {}) },
    });

  beforeAll(async () => {
    sim = await startSim();
    token = await getToken(sim);
  });
  beforeEach(() => {
    for (const row of sim.store.list("contacts")) sim.store.remove("contacts", String(row.contactid));
    sim.store.seed("contacts", [{ contactid: guid(1), firstname: "Ann", hlf_meanderid: "m-1" }]);
    sim.resetCounters();
  });
  afterAll(() => sim.close());

  for (const [name, eol] of [
    ["CRLF", "\r\n"],
    ["LF", "\n"],
  ] as const) {
    it(`runs a batch written with ${name} line endings and answers with CRLF multipart`, async () => {
      const response = await send(
        [
          { method: "GET", url: `${sim.url}/api/data/v9.2/contacts(${guid(1)})?$select=firstname` },
          [
            { method: "POST", url: "/api/data/v9.2/contacts", body: { firstname: "Bo" }, contentId: "1" },
            { method: "PATCH", url: "contacts(hlf_meanderid='m-2')", body: { firstname: "Cy" }, contentId: "2" },
          ],
        ],
        { eol },
      );
      expect(response.status).toBe(200);
      const boundary = /boundary=(batchresponse_[0-9a-f-]+)/.exec(response.headers.get("content-type") ?? "")?.[1];
      expect(boundary).toBeTruthy();
      expect(response.text.startsWith(`--${boundary}\r\n`)).toBe(true);
      expect(response.text.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
      expect(response.text).toMatch(/--changesetresponse_[0-9a-f-]+\r\nContent-Type: application\/http/);
      expect(response.text).toContain('"firstname":"Ann"');
      expect(statuses(response.text)).toEqual([200, 204, 204]);
      expect(response.text).toMatch(/Content-ID: 2\r\n\r\nHTTP\/1\.1 204 No Content/);
      expect(
        sim.store
          .list("contacts")
          .map((r) => r.firstname)
          .sort(),
      ).toEqual(["Ann", "Bo", "Cy"]);
      const counters = sim.counters();
      expect(counters.requests).toBe(1);
      expect(counters.byKind).toMatchObject({ batch: 1, get: 1, create: 1, upsert: 1 });
      expect(counters.batchOperations).toBe(3);
    });
  }

  it("resolves Content-ID references within a change set", async () => {
    const response = await send([
      [
        { method: "POST", url: "contacts", body: { firstname: "Parent" }, contentId: "1" },
        { method: "PATCH", url: "$1", body: { lastname: "Patched" }, contentId: "2" },
        { method: "POST", url: "hlf_likepersonactivities", body: { hlf_name: "A", "hlf_ContactId@odata.bind": "$1" }, contentId: "3" },
      ],
    ]);
    expect(statuses(response.text)).toEqual([204, 204, 204]);
    const parent = sim.store.list("contacts").find((r) => r.firstname === "Parent");
    expect(parent?.lastname).toBe("Patched");
    expect(sim.store.list("hlf_likepersonactivities")[0]?._hlf_contactid_value).toBe(parent?.contactid);
  });

  it("rolls back a change set whose operation fails, and stops there without continue-on-error", async () => {
    const response = await send([
      [
        { method: "POST", url: "contacts", body: { firstname: "Rolled back" }, contentId: "1" },
        { method: "PATCH", url: `contacts(${guid(1)})`, body: { firstname: "Stale" }, headers: { "If-Match": 'W/"1"' }, contentId: "2" },
      ],
      { method: "POST", url: "contacts", body: { firstname: "Never run" } },
    ]);
    expect(response.status).toBe(400);
    expect(statuses(response.text)).toEqual([412]);
    expect(response.text).toContain("0x80060882");
    expect(response.text).not.toContain("changesetresponse");
    expect(sim.store.list("contacts").map((r) => r.firstname)).toEqual(["Ann"]);
  });

  it("with odata.continue-on-error runs independent operations past a failure", async () => {
    const response = await send(
      [
        { method: "PATCH", url: `contacts(${guid(1)})`, body: { firstname: "Stale" }, headers: { "If-Match": 'W/"1"' } },
        { method: "POST", url: "contacts", body: { firstname: "Second" } },
        { method: "DELETE", url: `contacts(${guid(99)})` },
        { method: "PATCH", url: "contacts(hlf_meanderid='m-3')", body: { firstname: "Fourth" } },
      ],
      { prefer: "odata.continue-on-error" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("preference-applied")).toBe("odata.continue-on-error");
    expect(statuses(response.text)).toEqual([412, 204, 404, 204]);
    expect(
      sim.store
        .list("contacts")
        .map((r) => r.firstname)
        .sort(),
    ).toEqual(["Ann", "Fourth", "Second"]);
    expect(sim.counters().recordsWritten).toBe(2);
  });

  it("answers a malformed batch with 400", async () => {
    const response = await api(sim, token, "POST", "$batch", {
      body: "--batch_abc\r\nContent-Type: application/http\r\n\r\nNOT A REQUEST LINE\r\n",
      headers: { "Content-Type": "multipart/mixed; boundary=batch_abc" },
    });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toMatch(/^0x/);
  });
});
