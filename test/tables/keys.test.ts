import { RestError, type TransactionAction } from "@azure/data-tables";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkByPartition, mapTableError } from "../../shared/adapters/tables/access.js";
import { bucketOf, decodeKey, encodeKey, invertedTime, key, timeFromInverted } from "../../shared/adapters/tables/keys.js";
import { getText, MAX_TEXT_CHARS, putText } from "../../shared/adapters/tables/props.js";
import { newRunId } from "../../shared/adapters/tables/runId.js";
import { fitRun } from "../../shared/adapters/tables/runs.js";
import { conflictIdFor } from "../../shared/core/ids.js";
import { FatalError, RecordError, TransientError } from "../../shared/errors.js";
import { sampleRun } from "./helpers.js";

const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

describe("key encoding", () => {
  it("round-trips any string and never emits a forbidden character", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (id) => {
        const encoded = encodeKey(id);
        expect(encoded).not.toMatch(FORBIDDEN);
        expect(encoded).not.toContain("~");
        expect(decodeKey(encoded)).toBe(id);
      }),
    );
  });

  it("keeps GUIDs and member numbers readable and escapes the rest", () => {
    expect(encodeKey("3f2504e0-4f89-11d3-9a0c-0305e82c3301")).toBe("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    expect(encodeKey("a/b\\c#d?e")).toBe("a!2Fb!5Cc!23d!3Fe");
    expect(encodeKey("Ø")).toBe("!C3!98");
  });

  it("rejects a key over 1 KiB without echoing the id", () => {
    const id = "x".repeat(600);
    expect(() => key("m:", encodeKey(id))).toThrow(RecordError);
    expect(() => key("m:", encodeKey(id))).toThrow(/602 characters/);
  });

  it("inverts times so newer sorts first, and back", () => {
    const older = Date.parse("2026-01-01T00:00:00Z");
    const newer = older + 1;
    expect(invertedTime(newer) < invertedTime(older)).toBe(true);
    expect(invertedTime(older)).toHaveLength(16);
    expect(timeFromInverted(invertedTime(older))).toBe(older);
  });

  it("buckets ids stably and spreads them", () => {
    expect(bucketOf("m:abc", 16)).toBe(bucketOf("m:abc", 16));
    const used = new Set(Array.from({ length: 400 }, (_, i) => bucketOf(`m:${i}`, 16)));
    expect(used.size).toBe(16);
    expect(bucketOf("anything", 1)).toBe(0);
  });

  it("derives the same conflict id for the same pair and kind only", () => {
    expect(conflictIdFor("field", "m1", "p1")).toBe(conflictIdFor("field", "m1", "p1"));
    expect(conflictIdFor("field", "m1", "p1")).not.toBe(conflictIdFor("ambiguous", "m1", "p1"));
    expect(conflictIdFor("field", "m1", "p2")).not.toBe(conflictIdFor("field", "m1", "p1"));
    expect(encodeKey(conflictIdFor("ambiguous", "m1", undefined))).toBe(conflictIdFor("ambiguous", "m1", undefined));
  });

  it("makes run ids that sort by time and need no escaping", () => {
    const a = newRunId(new Date("2026-01-01T00:00:00Z"));
    const b = newRunId(new Date("2026-01-01T00:00:00.001Z"));
    expect(a < b).toBe(true);
    expect(encodeKey(a)).toBe(a);
    expect(newRunId(new Date(0))).not.toBe(newRunId(new Date(0)));
  });
});

describe("long text properties", () => {
  it("splits under the 64 KiB property limit without breaking surrogate pairs", () => {
    const text = "a" + "😀".repeat(40_000);
    const entity: Record<string, unknown> = {};
    putText(entity, "run", text);
    const parts = Object.values(entity).filter((v): v is string => typeof v === "string");
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(30_000);
      expect(part).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    expect(getText(entity, "run")).toBe(text);
  });

  it("refuses text beyond what an entity can hold", () => {
    expect(() => putText({}, "baseline", "x".repeat(MAX_TEXT_CHARS + 1))).toThrow(RecordError);
  });
});

describe("fitting a run record", () => {
  const errors = Array.from({ length: 5_000 }, (_, i) => ({
    side: "portal" as const,
    recordId: `id-${i}`,
    code: "HTTP_412",
    status: 412,
    message: "version mismatch on field emailaddress1",
  }));

  it("drops the error tail to fit, keeps errorCount true and says so", () => {
    const fitted = fitRun(sampleRun({ errors, errorCount: 5_000, status: "partial" }), 50_000);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(50_000);
    expect(fitted.errorCount).toBe(5_000);
    expect(fitted.errors.length).toBeGreaterThan(100);
    expect(fitted.errors.length).toBeLessThan(5_000);
    expect(fitted.errors[0]).toEqual(errors[0]);
    expect(fitted.notes.at(-1)).toBe(`errors truncated for storage: kept ${fitted.errors.length} of 5000`);
  });

  it("leaves a run that fits untouched", () => {
    const run = sampleRun({ errors: errors.slice(0, 3), errorCount: 3 });
    expect(fitRun(run)).toEqual(run);
  });
});

describe("Table Storage errors", () => {
  const cases: [number, string, new (...args: never[]) => Error][] = [
    [503, "ServerBusy", TransientError],
    [500, "InternalError", TransientError],
    [408, "OperationTimedOut", TransientError],
    [429, "TooManyRequests", TransientError],
    [409, "EntityAlreadyExists", RecordError],
    [412, "UpdateConditionNotSatisfied", RecordError],
    [413, "RequestBodyTooLarge", RecordError],
    [403, "AuthorizationFailure", FatalError],
    [401, "InvalidAuthenticationInfo", FatalError],
    [404, "TableNotFound", FatalError],
  ];
  it.each(cases)("maps %i %s", (status, code, type) => {
    const mapped = mapTableError(new RestError("The specified entity already exists. RequestId: x", { statusCode: status, code }), "syncruns", "writes");
    expect(mapped).toBeInstanceOf(type);
    expect((mapped as Error).message).toContain("syncruns");
    expect((mapped as Error).message).not.toContain("specified entity");
  });

  it("honours Retry-After and treats send failures as transient", () => {
    const throttled = new RestError("busy", {
      statusCode: 503,
      code: "ServerBusy",
      response: { headers: { get: (name: string) => (name === "retry-after" ? "2" : undefined) } } as never,
    });
    expect((mapTableError(throttled, "t", "reads") as TransientError).retryAfterMs).toBe(2_000);
    expect(mapTableError(new RestError("socket hang up", { code: "REQUEST_SEND_ERROR" }), "t", "reads")).toBeInstanceOf(TransientError);
  });
});

describe("transaction chunks", () => {
  const upsert = (pk: string, rk: string, size = 10): TransactionAction => ["upsert", { partitionKey: pk, rowKey: rk, data: "x".repeat(size) }, "Replace"];

  it("groups by partition, at most 100 per chunk, the last action on a row winning", () => {
    const actions = [...Array.from({ length: 250 }, (_, i) => upsert("a", `r${i}`)), upsert("b", "r0"), upsert("a", "r0", 3)];
    const chunks = chunkByPartition(actions);
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50, 1]);
    for (const chunk of chunks) expect(new Set(chunk.map((a) => (a[1] as { partitionKey: string }).partitionKey)).size).toBe(1);
    const a0 = chunks.flat().filter((a) => (a[1] as { partitionKey: string; rowKey: string }).partitionKey === "a" && a[1].rowKey === "r0");
    expect(a0).toEqual([upsert("a", "r0", 3)]);
  });

  it("keeps a transaction's body under 4 MiB", () => {
    const chunks = chunkByPartition(Array.from({ length: 60 }, (_, i) => upsert("a", `r${i}`, 200_000)));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(JSON.stringify(chunk).length).toBeLessThan(4 * 1024 * 1024);
  });
});
