/**
 * The client against the simulator through every operation of the contract, with
 * every answer the simulator gives checked against the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeanderSide } from "../../shared/adapters/meander/index.js";
import { FatalError } from "../../shared/errors.js";
import type { ChangePage } from "../../shared/ports.js";
import { type MeanderSim, startMeanderSim } from "../../sim/meander/index.js";
import { activity, contractChecker, fastRetries, likeperson, SCOPE, staticTokens, TOKEN } from "./support.js";

const checker = contractChecker();
let sim: MeanderSim;
let side: MeanderSide;
const tokens = staticTokens();

const drain = async (iterable: AsyncIterable<ChangePage>) => {
  const pages: ChangePage[] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
};

const raw = (path: string, init: RequestInit = {}) =>
  fetch(`${sim.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });

beforeAll(async () => {
  sim = await startMeanderSim({ limits: false, acceptToken: (t) => t === TOKEN, observe: checker.observe });
  sim.store.seed(
    "likepersons",
    Array.from({ length: 230 }, (_, i) => likeperson(i)),
  );
  sim.store.seed("activities", [activity(1, "lp-0000"), activity(2, "lp-0001")]);
  side = new MeanderSide({ baseUrl: sim.url, tokenSource: tokens, scope: SCOPE, pageSize: 100, resilience: fastRetries });
});

afterAll(async () => {
  await sim.close();
});

describe("Meander client against the simulator", () => {
  let cursor = "";

  it("reads the whole feed in pages, with a cursor per page and final on the last", async () => {
    const pages = await drain(side.readChanges("likepersons", undefined));
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 30]);
    expect(pages.map((p) => p.final)).toEqual([false, false, true]);
    expect(new Set(pages.map((p) => p.cursor)).size).toBe(3);
    const first = pages[0]!.records[0]!;
    expect(first).toMatchObject({ id: "lp-0000", data: { id: "lp-0000", memberNumber: "0001000", contact: { mobile: "+47 90000000" } } });
    expect(first.version).toBeTruthy();
    expect(Date.parse(first.modifiedOn!)).not.toBeNaN();
    expect(tokens.calls.every((s) => s === SCOPE)).toBe(true);
    cursor = pages.at(-1)!.cursor;
  });

  it("continues from a saved cursor with only what changed, tombstones included", async () => {
    sim.store.edit("likepersons", "lp-0005", { address: { city: "Tromsø", postalCode: "9008" } });
    const created = sim.store.create("likepersons", { firstName: "New", lastName: "Person" });
    sim.store.remove("likepersons", "lp-0006");
    const pages = await drain(side.readChanges("likepersons", cursor));
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records.map((r) => r.id)).toEqual(["lp-0005", created]);
    expect(pages[0]!.records[0]!.data).toMatchObject({ address: { city: "Tromsø", postalCode: "9008" }, contact: { email: "Test.Person5@Example.com" } });
    expect(pages[0]!.deletedIds).toEqual(["lp-0006"]);
    const again = await drain(side.readChanges("likepersons", pages[0]!.cursor));
    expect(again).toEqual([{ records: [], deletedIds: [], cursor: pages[0]!.cursor, final: true }]);
  });

  it("creates idempotently by external reference and merges only the given fields", async () => {
    const portalId = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    const create = {
      op: "create" as const,
      ref: "c1",
      data: { firstName: "Åse", lastName: "Ødegård", "contact.email": "ase@example.com" },
      upsertKey: { field: "portalContactId", value: portalId },
    };
    const [first] = await side.write("likepersons", [create]);
    expect(first).toMatchObject({ ok: true, ref: "c1" });
    const before = sim.counters();
    const [second] = await side.write("likepersons", [create]);
    expect(second).toMatchObject({ ok: true, id: first!.ok ? first!.id : "" });
    expect(sim.counters().noopWrites - before.noopWrites).toBe(1);
    const id = first!.ok ? first!.id : "";
    expect(sim.store.get("likepersons", id)).toMatchObject({
      externalRef: portalId,
      data: { portalContactId: portalId, contact: { email: "ase@example.com", mobile: null }, status: "active" },
    });
    const byLink = await side.findByField("likepersons", "portalContactId", [portalId.toUpperCase()]);
    expect(byLink.map((r) => r.id)).toEqual([id]);

    const version = sim.store.get("likepersons", "lp-0007")!.version;
    const [updated] = await side.write("likepersons", [
      { op: "update", ref: "u1", id: "lp-0007", ifMatch: version, data: { id: "lp-0007", contact: { mobile: "+4799999999" } } },
    ]);
    expect(updated).toMatchObject({ ok: true, id: "lp-0007" });
    expect(updated!.ok && updated!.version).not.toBe(version);
    expect(sim.store.get("likepersons", "lp-0007")!.data).toMatchObject({
      contact: { email: "Test.Person7@Example.com", mobile: "+4799999999" },
      lastName: "Person7",
    });

    const [deleted] = await side.write("likepersons", [{ op: "delete", ref: "d1", id: "lp-0008" }]);
    expect(deleted).toEqual({ ref: "d1", ok: true, id: "lp-0008" });
    expect(sim.store.get("likepersons", "lp-0008")).toBeUndefined();
  });

  it("splits large writes into batches of the configured size", async () => {
    const small = new MeanderSide({ baseUrl: sim.url, tokenSource: tokens, scope: SCOPE, batchSize: 25, resilience: fastRetries });
    const before = sim.counters();
    const ops = Array.from({ length: 60 }, (_, i) => ({ op: "update" as const, ref: `r${i}`, id: likeperson(20 + i).id, data: { chapter: "HLF Tromsø" } }));
    const outcomes = await small.write("likepersons", ops);
    expect(outcomes.map((o) => o.ref)).toEqual(ops.map((o) => o.ref));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const after = sim.counters();
    expect(after.byKind.batch - before.byKind.batch).toBe(3);
    expect(after.recordsWritten - before.recordsWritten).toBe(60);
  });

  it("lives with a server that pages and batches smaller than the document allows", async () => {
    const strict = await startMeanderSim({ limits: false, maxPageSize: 7, maxBatchSize: 10, observe: checker.observe });
    try {
      strict.store.seed(
        "likepersons",
        Array.from({ length: 20 }, (_, i) => likeperson(i)),
      );
      const client = new MeanderSide({ baseUrl: strict.url, tokenSource: tokens, scope: SCOPE, batchSize: 10, resilience: fastRetries });
      const pages = await drain(client.readChanges("likepersons", undefined));
      expect(pages.map((p) => p.records.length)).toEqual([7, 7, 6]);
      const ops = Array.from({ length: 20 }, (_, i) => ({ op: "update" as const, ref: `r${i}`, id: likeperson(i).id, data: { chapter: "HLF Alta" } }));
      expect((await client.write("likepersons", ops)).every((o) => o.ok)).toBe(true);
      const tooBig = new MeanderSide({ baseUrl: strict.url, tokenSource: tokens, scope: SCOPE, batchSize: 20, resilience: fastRetries });
      const outcomes = await tooBig.write("likepersons", ops);
      expect(new Set(outcomes.map((o) => (o.ok ? "ok" : `${o.error.kind} ${o.error.code}`)))).toEqual(new Set(["record BATCH_TOO_LARGE"]));
    } finally {
      await strict.close();
    }
  });

  it("fails only the operation whose id the contract cannot hold, without sending it", async () => {
    const before = sim.counters().byKind.batch;
    const outcomes = await side.write("likepersons", [
      { op: "update", ref: "bad-id", id: "not/an id", data: { chapter: "HLF Moss" } },
      { op: "update", ref: "fine", id: "lp-0019", data: { chapter: "HLF Moss" } },
    ]);
    expect(outcomes).toMatchObject([
      { ref: "bad-id", ok: false, error: { kind: "record", code: "INVALID_ID" } },
      { ref: "fine", ok: true },
    ]);
    expect(sim.counters().byKind.batch - before).toBe(1);
    expect(await side.getByIds("likepersons", ["not/an id", "lp-0019"])).toHaveLength(1);
  });

  it("turns per-operation failures into outcomes that name fields, never values", async () => {
    const outcomes = await side.write("likepersons", [
      { op: "update", ref: "bad", id: "lp-0010", data: { status: "on-holiday", address: { postalCode: "Bergen 5003" } } },
      { op: "update", ref: "gone", id: "no-such-id", data: { chapter: "HLF Bergen" } },
      { op: "update", ref: "dup", id: "lp-0011", data: { memberNumber: "1012" } },
      { op: "update", ref: "ok", id: "lp-0012", data: { chapter: "HLF Bodø" } },
    ]);
    const [bad, gone, dup, ok] = outcomes;
    expect(bad).toMatchObject({ ok: false, error: { kind: "record", code: "INVALID_DATA", status: 422 } });
    const message = bad!.ok ? "" : bad!.error.message;
    expect(message).toContain("/operations/0/data/status");
    expect(message).toContain("/operations/0/data/address/postalCode");
    expect(message).not.toMatch(/on-holiday|Bergen 5003/);
    expect(gone).toMatchObject({ ok: false, error: { code: "NOT_FOUND", status: 404 } });
    expect(dup).toMatchObject({ ok: false, error: { code: "DUPLICATE_MEMBER_NUMBER", status: 409 } });
    expect(ok).toMatchObject({ ok: true, id: "lp-0012" });
  });

  it("looks up by match keys: member numbers without leading zeros, e-mail in any case, many values per call", async () => {
    const byNumber = await side.findByField("likepersons", "memberNumber", ["1013", 1014, "0001015", null]);
    expect(byNumber.map((r) => r.id).sort()).toEqual(["lp-0013", "lp-0014", "lp-0015"]);
    const byEmail = await side.findByField("likepersons", "contact.email", ["TEST.PERSON16@EXAMPLE.COM"]);
    expect(byEmail.map((r) => r.id)).toEqual(["lp-0016"]);
    const byMobile = await side.findByField("likepersons", "contact.mobile", ["0047 90000017"]);
    expect(byMobile.map((r) => r.id)).toEqual(["lp-0017"]);
    const before = sim.counters().byKind.lookup;
    const many = await side.findByField(
      "likepersons",
      "memberNumber",
      Array.from({ length: 150 }, (_, i) => String(1000 + i)),
    );
    expect(many).toHaveLength(150 - 2); // lp-0006 and lp-0008 are deleted
    expect(sim.counters().byKind.lookup - before).toBe(2);
    const activities = await side.findByField("activities", "likepersonId", ["lp-0001"]);
    expect(activities.map((r) => r.id)).toEqual(["act-2"]);
  });

  it("re-reads records by id; missing and deleted ids are absent", async () => {
    const records = await side.getByIds("likepersons", ["lp-0001", "lp-0006", "nope", "lp-0001"]);
    expect(records.map((r) => r.id)).toEqual(["lp-0001"]);
    const before = sim.counters().byKind.records;
    const many = await side.getByIds(
      "likepersons",
      Array.from({ length: 150 }, (_, i) => likeperson(i).id),
    );
    expect(many).toHaveLength(148);
    expect(sim.counters().byKind.records - before).toBe(2);
    const viaPost = await raw("/sync/v1/activities/records", { method: "POST", body: JSON.stringify({ ids: ["act-1"] }) });
    expect(((await viaPost.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(["act-1"]);
  });

  it("reads again from the start when the cursor has expired", async () => {
    const pages = await drain(side.readChanges("activities", undefined));
    sim.store.expireCursors("activities");
    const again = await drain(side.readChanges("activities", pages.at(-1)!.cursor));
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ fullResync: true, final: true });
    expect(again[0]!.records.map((r) => r.id)).toEqual(["act-1", "act-2"]);
  });

  it("answers malformed requests with 400 problem details naming the field", async () => {
    const response = await raw("/sync/v1/likepersons/batch", { method: "POST", body: JSON.stringify({ operations: [{ ref: "x", op: "merge", data: {} }] }) });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as { errors: { pointer: string }[] };
    expect(body.errors.map((e) => e.pointer)).toContain("/operations/0/op");
    const lookup = await raw("/sync/v1/activities/lookup", { method: "POST", body: JSON.stringify({ field: "contact.email", values: ["a"] }) });
    expect(lookup.status).toBe(400);
    const limit = await raw("/sync/v1/likepersons/changes?limit=501");
    expect(((await limit.json()) as { errors: { parameter: string }[] }).errors[0]!.parameter).toBe("limit");
    const cursor = await raw("/sync/v1/likepersons/changes?cursor=garbage");
    expect(((await cursor.json()) as { code: string }).code).toBe("CURSOR_INVALID");
    await expect(side.findByField("likepersons", "firstName", ["Test"])).rejects.toMatchObject({ status: 400 });
  });

  it("replays a batch sent again with the same Idempotency-Key instead of applying it twice", async () => {
    const body = JSON.stringify({ operations: [{ ref: "n", op: "upsert", data: { firstName: "Idem", lastName: "Potent" } }] });
    const send = (key: string, payload = body) => raw("/sync/v1/likepersons/batch", { method: "POST", body: payload, headers: { "idempotency-key": key } });
    const first = await send("key-1");
    const again = await send("key-1");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(sim.store.list("likepersons").filter((r) => r.data.lastName === "Potent")).toHaveLength(1);
    const reused = await send("key-1", body.replace("Idem", "Other"));
    expect(reused.status).toBe(422);
    expect((await send("x".repeat(101))).status).toBe(400);
  });

  it("refuses a missing or wrong token, and the client treats that as fatal", async () => {
    const response = await fetch(`${sim.url}/sync/v1/likepersons/changes`);
    expect(response.status).toBe(401);
    const stranger = new MeanderSide({ baseUrl: sim.url, tokenSource: staticTokens("wrong"), scope: SCOPE, resilience: fastRetries });
    await expect(stranger.write("likepersons", [{ op: "delete", ref: "x", id: "lp-0001" }])).rejects.toBeInstanceOf(FatalError);
    await expect(drain(stranger.readChanges("likepersons", undefined))).rejects.toMatchObject({ kind: "fatal", status: 401 });
    expect(sim.store.get("likepersons", "lp-0001")).toBeDefined();
  });

  it("gave only answers the OpenAPI document describes", () => {
    expect(checker.seen.length).toBeGreaterThan(20);
    expect(new Set(checker.seen.map((e) => e.kind))).toEqual(new Set(["changes", "batch", "lookup", "records"]));
    expect(new Set(checker.seen.map((e) => e.status))).toEqual(new Set([200, 400, 401, 410, 422]));
    expect(checker.problems).toEqual([]);
  });

  it("the checker itself rejects answers that break the document", () => {
    const base = { method: "GET", path: "/sync/v1/likepersons/changes", kind: "changes" as const, headers: { "content-type": "application/json" } };
    expect(checker.check({ ...base, status: 200, body: { items: [], hasMore: false } })).toHaveLength(1);
    expect(
      checker.check({
        ...base,
        status: 200,
        body: { items: [{ id: "a", version: "1", modifiedAt: "2025-01-01T00:00:00Z", data: activity(1, "lp") }], nextCursor: "c", hasMore: false },
      }),
    ).toHaveLength(2);
    expect(
      checker.check({ ...base, status: 429, headers: { "content-type": "application/problem+json" }, body: { type: "t", title: "t", status: 429 } }),
    ).toEqual(["GET /sync/v1/likepersons/changes 429: header Retry-After missing"]);
    expect(checker.check({ ...base, path: "/sync/v2/x", status: 200, body: {} })).toHaveLength(1);
  });
});
