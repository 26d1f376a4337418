/**
 * The batch bookkeeping of write(), with a stand-in for dynamics-web-api: parts
 * throttled inside an answered batch are re-sent alone after their Retry-After;
 * outcomes keep the order and refs of the ops.
 */
import type { DynamicsWebApi } from "dynamics-web-api";
import { describe, expect, it, vi } from "vitest";
import type { DataverseClient } from "../../shared/adapters/dataverse/client.js";
import { writeOps } from "../../shared/adapters/dataverse/write.js";
import type { WriteOp } from "../../shared/ports.js";

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const partError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error("part failed"), { status, headers, error: { code: "0x80072322" } });

/** Answers each executeBatch with the next scripted list; records which keys each batch held. */
function fakeClient(script: ((keys: string[]) => unknown[])[], rows: Record<string, unknown>[] = []) {
  const sent: string[][] = [];
  const lookups: string[] = [];
  let open: string[] = [];
  const queue = (request: { key?: string; data?: { hlf_meanderid?: string; emailaddress1?: string } }) => {
    open.push(request.key ?? request.data?.hlf_meanderid ?? request.data?.emailaddress1 ?? "?");
    return Promise.resolve(undefined);
  };
  const api = {
    startBatch: () => {
      open = [];
    },
    create: queue,
    upsert: queue,
    update: queue,
    deleteRecord: queue,
    retrieveMultiple: async (request: { filter: string }) => {
      lookups.push(request.filter);
      return { value: rows };
    },
    executeBatch: async () => {
      sent.push(open);
      const next = script.shift();
      if (!next) throw new Error("unexpected batch");
      return next(open);
    },
  } as unknown as DynamicsWebApi;
  const pause = vi.fn();
  const noteRetry = vi.fn();
  const client = {
    call: (_context: string, fn: (api: DynamicsWebApi, signal: AbortSignal) => Promise<unknown>) => fn(api, new AbortController().signal),
    resilience: { execute: vi.fn(), throttledForMs: 0 },
    throttledFor: pause,
    backoff: { baseDelayMs: 20, maxDelayMs: 100 },
    noteRetry,
  } as unknown as DataverseClient;
  return { client, sent, pause, noteRetry, lookups };
}

const entity = { idField: "contactid", alternateKey: "hlf_meanderid" };
const SIZES = { batchSize: 100, pageSize: 5000 };
/** The row as Dataverse returns it with `return=representation`: the written columns as stored. */
const stored = (key: string, etag: string) => ({ contactid: key, firstname: `F${Number(key.slice(-12))}`, "@odata.etag": etag });
const update = (n: number): WriteOp => ({ op: "update", ref: `r${n}`, id: ID(n), ifMatch: 'W/"1"', data: { firstname: `F${n}` } });

describe("writeOps", () => {
  it("answers a record a plug-in stored otherwise than written without its version, so its echo is read again", async () => {
    const { client } = fakeClient([(keys) => keys.map((key, i) => (i === 0 ? { ...stored(key, 'W/"2"'), firstname: "REWRITTEN" } : stored(key, 'W/"2"')))]);
    const outcomes = await writeOps(client, "contacts", entity, [update(1), update(2)], SIZES);
    expect(outcomes).toEqual([
      { ref: "r1", ok: true, id: ID(1) },
      { ref: "r2", ok: true, id: ID(2), version: 'W/"2"' },
    ]);
  });

  it("re-sends only the parts throttled inside an answered batch, after their Retry-After", async () => {
    const { client, sent, pause, noteRetry } = fakeClient([
      (keys) => keys.map((key, i) => (i === 1 ? partError(429, { "retry-after": "2" }) : stored(key, 'W/"2"'))),
      (keys) => keys.map((key) => stored(key, 'W/"3"')),
    ]);
    const outcomes = await writeOps(client, "contacts", entity, [update(1), update(2), update(3)], SIZES);
    expect(sent).toEqual([[ID(1), ID(2), ID(3)], [ID(2)]]);
    expect(pause).toHaveBeenCalledWith(2000);
    expect(noteRetry).toHaveBeenCalledWith(1, 2000, "THROTTLED");
    expect(outcomes).toEqual([
      { ref: "r1", ok: true, id: ID(1), version: 'W/"2"' },
      { ref: "r2", ok: true, id: ID(2), version: 'W/"3"' },
      { ref: "r3", ok: true, id: ID(3), version: 'W/"2"' },
    ]);
  });

  it("backs off between rounds when no part says how long (half jitter: at least half of a doubling delay), then gives up for the ledger", async () => {
    const always = (keys: string[]) => keys.map(() => Object.assign(new Error("part failed"), { status: 503, headers: {} }));
    const { client, sent, pause, noteRetry } = fakeClient([always, always, always, always]);
    const [outcome] = await writeOps(client, "contacts", entity, [update(1)], SIZES);
    expect(sent).toHaveLength(4);
    expect(outcome).toMatchObject({ ref: "r1", ok: false, error: { kind: "transient", code: "HTTP_503", status: 503 } });
    expect(pause).not.toHaveBeenCalled();
    const delays = noteRetry.mock.calls.map(([, delay]) => delay as number);
    expect(noteRetry.mock.calls.map(([round, , code]) => [round, code])).toEqual([
      [1, "HTTP_503"],
      [2, "HTTP_503"],
      [3, "HTTP_503"],
    ]);
    // base 20 ms: [10, 20), [20, 40), [40, 80)
    [10, 20, 40].forEach((floor, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(floor);
      expect(delays[i]).toBeLessThan(floor * 2);
    });
  });

  it("a part failed for its record (400, 412, a plug-in's 500) is its outcome at once, never sent again", async () => {
    const recordFailures = (keys: string[]) =>
      keys.map((key, i) =>
        i === 0
          ? Object.assign(new Error("bad"), { status: 400, headers: {} })
          : i === 1
            ? Object.assign(new Error("changed"), { status: 412, headers: {} })
            : i === 2
              ? Object.assign(new Error("plug-in"), { status: 500, headers: {}, error: { code: "0x80040265" } })
              : { contactid: key },
      );
    const { client, sent, noteRetry } = fakeClient([recordFailures]);
    const outcomes = await writeOps(client, "contacts", entity, [update(1), update(2), update(3), update(4)], SIZES);
    expect(sent).toHaveLength(1);
    expect(noteRetry).not.toHaveBeenCalled();
    expect(outcomes.map((o) => (o.ok ? "ok" : `${o.error.kind}:${o.error.code}`))).toEqual([
      "record:BAD_REQUEST",
      "record:PRECONDITION_FAILED",
      "record:PLUGIN_ERROR",
      "ok",
    ]);
  });

  it("splits into batches of the configured size and keeps the order of the ops", async () => {
    const ok = (keys: string[]) => keys.map((key) => ({ contactid: key }));
    const { client, sent } = fakeClient([ok, ok, ok]);
    const ops = [1, 2, 3, 4, 5].map(update);
    const outcomes = await writeOps(client, "contacts", entity, ops, { batchSize: 2, pageSize: 5000 });
    expect(sent.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(outcomes.map((o) => o.ref)).toEqual(["r1", "r2", "r3", "r4", "r5"]);
  });

  it("a create matched by a column that is not a key: several holders fail that record, one holder is updated", async () => {
    const ok = (keys: string[]) => keys.map((key) => ({ contactid: key }));
    const rows = [
      { contactid: ID(1), emailaddress1: "a@x.no" },
      { contactid: ID(2), emailaddress1: "B@x.no" },
      { contactid: ID(3), emailaddress1: "b@x.no" },
    ];
    const { client, sent, lookups } = fakeClient([ok], rows);
    const byEmail = (ref: string, email: string): WriteOp => ({
      op: "create",
      ref,
      data: { firstname: ref },
      upsertKey: { field: "emailaddress1", value: email },
    });
    const outcomes = await writeOps(
      client,
      "contacts",
      { idField: "contactid" },
      [byEmail("one", "A@x.no"), byEmail("two", "b@x.no"), byEmail("none", "c@x.no")],
      SIZES,
    );
    expect(lookups).toHaveLength(1);
    expect(sent[0]).toEqual([ID(1), "c@x.no"]);
    expect(outcomes.map((o) => (o.ok ? o.id : o.error.code))).toEqual([ID(1), "AMBIGUOUS_KEY", "c@x.no"]);
  });

  it("upserts by a safe alternate key and refuses duplicate refs", async () => {
    const ok = (keys: string[]) => keys.map((_, i) => ({ contactid: ID(100 + i) }));
    const { client, sent } = fakeClient([ok]);
    await writeOps(
      client,
      "contacts",
      entity,
      [{ op: "create", ref: "a", data: { hlf_meanderid: "m-1" }, upsertKey: { field: "hlf_meanderid", value: "m-1" } }],
      SIZES,
    );
    expect(sent[0]).toEqual(["hlf_meanderid='m-1'"]);
    await expect(writeOps(client, "contacts", entity, [update(1), update(1)], SIZES)).rejects.toThrow(/ref r1 is used twice/);
  });
});
