import { describe, expect, it } from "vitest";
import { errorFromStatus, kindOfStatus, parseRetryAfter, RecordError, TransientError } from "../shared/errors.js";

describe("error policy", () => {
  it.each([
    [400, "record"],
    [401, "fatal"],
    [403, "fatal"],
    [404, "record"],
    [408, "transient"],
    [409, "record"],
    [412, "record"],
    [413, "record"],
    [429, "transient"],
    [500, "transient"],
    [501, "fatal"],
    [502, "transient"],
    [503, "transient"],
    [504, "transient"],
  ] as const)("status %i is %s", (status, kind) => {
    expect(kindOfStatus(status)).toBe(kind);
  });

  it("keeps Retry-After on throttling errors", () => {
    const error = errorFromStatus(429, "0x80072322", "throttled", 3000);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.retryAfterMs).toBe(3000);
    expect(errorFromStatus(412, undefined, "changed")).toBeInstanceOf(RecordError);
  });

  it("parses Retry-After as seconds or as a date", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
