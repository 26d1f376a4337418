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
const partError = (status: number, headers: Record<string, string> = {}) => Object.assign(new Error("part failed"), { status, headers, error: { code: "0x80072322" } });

/** Answers each executeBatch with the next scripted list; records which keys each batch held. */
function fakeClient(script: ((keys: string[]) => unknown[])[]) {
  const sent: string[][] = [];
  let open: string[] = [];
  const queue = (request: { key?: string; data?: { hlf_meanderid?: string } }) => {
    open.push(request.key ?? request.data?.hlf_meanderid ?? "?");
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
    executeBatch: async () => {
      sent.push(open);
      const next = script.shift();
      if (!next) throw new Error("unexpected batch");
      return next(open);
    },
  } as unknown as DynamicsWebApi;
  const pause = vi.fn();
  const client = {
    call: (_context: string, fn: (api: DynamicsWebApi, signal: AbortSignal) => Promise<unknown>) => fn(api, new AbortController().signal),
    resilience: { execute: vi.fn(), throttledForMs: 0, pause },
  } as unknown as DataverseClient;
  return { client, sent, pause };
}

const entity = { idField: "contactid", alternateKey: "hlf_meanderid" };
const update = (n: number): WriteOp => ({ op: "update", ref: `r${n}`, id: ID(n), ifMatch: 'W/"1"', data: { firstname: `F${n}` } });

describe("writeOps", () => {
  it("re-sends only the parts throttled inside an answered batch, after their Retry-After", async () => {
    const { client, sent, pause } = fakeClient([
      (keys) => keys.map((key, i) => (i === 1 ? partError(429, { "retry-after": "2" }) : { contactid: key, "@odata.etag": 'W/"2"' })),
      (keys) => keys.map((key) => ({ contactid: key, "@odata.etag": 'W/"3"' })),
    ]);
    const outcomes = await writeOps(client, "contacts", entity, [update(1), update(2), update(3)], 100);
    expect(sent).toEqual([[ID(1), ID(2), ID(3)], [ID(2)]]);
    expect(pause).toHaveBeenCalledWith(2000);
    expect(outcomes).toEqual([
      { ref: "r1", ok: true, id: ID(1), version: 'W/"2"' },
      { ref: "r2", ok: true, id: ID(2), version: 'W/"3"' },
      { ref: "r3", ok: true, id: ID(3), version: 'W/"2"' },
    ]);
  });

  it("gives up on a part that stays throttled with a transient error for the ledger", async () => {
    const always = (keys: string[]) => keys.map(() => partError(503));
    const { client, sent } = fakeClient([always, always, always, always]);
    const [outcome] = await writeOps(client, "contacts", entity, [update(1)], 100);
    expect(sent).toHaveLength(4);
    expect(outcome).toMatchObject({ ref: "r1", ok: false, error: { kind: "transient", status: 503 } });
  });

  it("splits into batches of the configured size and keeps the order of the ops", async () => {
    const ok = (keys: string[]) => keys.map((key) => ({ contactid: key }));
    const { client, sent } = fakeClient([ok, ok, ok]);
    const ops = [1, 2, 3, 4, 5].map(update);
    const outcomes = await writeOps(client, "contacts", entity, ops, 2);
    expect(sent.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(outcomes.map((o) => o.ref)).toEqual(["r1", "r2", "r3", "r4", "r5"]);
  });

  it("upserts by a safe alternate key, creates plainly when the key value is unsafe, refuses duplicate refs", async () => {
    const ok = (keys: string[]) => keys.map((_, i) => ({ contactid: ID(100 + i) }));
    const { client, sent } = fakeClient([ok]);
    await writeOps(
      client,
      "contacts",
      entity,
      [
        { op: "create", ref: "a", data: { hlf_meanderid: "m-1" }, upsertKey: { field: "hlf_meanderid", value: "m-1" } },
        { op: "create", ref: "b", data: { hlf_meanderid: "x@y.no" }, upsertKey: { field: "hlf_meanderid", value: "x@y.no" } },
      ],
      100,
    );
    expect(sent[0]).toEqual(["hlf_meanderid='m-1'", "x@y.no"]);
    await expect(writeOps(client, "contacts", entity, [update(1), update(1)], 100)).rejects.toThrow(/ref r1 is used twice/);
  });
});
