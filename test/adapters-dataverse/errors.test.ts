import { describe, expect, it } from "vitest";
import { mapDataverseError } from "../../shared/adapters/dataverse/errors.js";
import { AuthError, FatalError, RecordError, TransientError } from "../../shared/errors.js";

/** What dynamics-web-api leaves on a failed top-level response or batch part. */
const libraryError = (status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error("server text with a value: someone@example.com"), { status, ...extra });

describe("mapDataverseError", () => {
  it.each([
    [400, RecordError, "BAD_REQUEST"],
    [401, FatalError, "UNAUTHORIZED"],
    [403, FatalError, "FORBIDDEN"],
    [404, RecordError, "NOT_FOUND"],
    [408, TransientError, "HTTP_408"],
    [409, RecordError, "CONFLICT"],
    [412, RecordError, "PRECONDITION_FAILED"],
    [413, RecordError, "TOO_LARGE"],
    [429, TransientError, "THROTTLED"],
    [500, TransientError, "HTTP_500"],
    [501, FatalError, "HTTP_501"],
    [502, TransientError, "HTTP_502"],
    [503, TransientError, "HTTP_503"],
    [504, TransientError, "HTTP_504"],
  ] as const)("status %i is %s %s", (status, type, code) => {
    const mapped = mapDataverseError(libraryError(status), "update contacts 1");
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
  });

  it.each([
    [500, "0x80040265", RecordError, "PLUGIN_ERROR"],
    [500, "0x80040333", RecordError, "DUPLICATE_DETECTED"],
    [400, "0x80048408", RecordError, "INVALID_STATE"],
    [500, "0x80040216", TransientError, "HTTP_500"],
    [503, "0x80040265", RecordError, "PLUGIN_ERROR"],
    [412, "0x80040237", RecordError, "PRECONDITION_FAILED"],
    [429, "0x80072322", TransientError, "THROTTLED"],
    // A service protection code marks a batch part as throttled whatever its status.
    [500, "0x80072321", TransientError, "THROTTLED"],
    [503, "0x80072326", TransientError, "THROTTLED"],
  ] as const)("status %i with Dataverse code %s is %s %s (a record-level failure never retried as transient)", (status, dvCode, type, code) => {
    // Top-level responses carry `code`; batch parts carry `error.code`: both are read.
    for (const extra of [{ code: dvCode }, { error: { code: dvCode, message: "m" } }]) {
      const mapped = mapDataverseError(libraryError(status, extra), "update contacts 1");
      expect(mapped).toBeInstanceOf(type);
      expect(mapped.code).toBe(code);
      expect(mapped.status).toBe(status);
    }
  });

  it("keeps Retry-After (seconds) of 429 and 503, and Dataverse's code in the message only", () => {
    const throttled = mapDataverseError(libraryError(429, { code: "0x80072322", headers: { "retry-after": "3" } }), "batch");
    expect(throttled.retryAfterMs).toBe(3000);
    expect(throttled.message).toContain("0x80072322");
    const unavailable = mapDataverseError(libraryError(503, { headers: { "retry-after": "1" } }), "batch");
    expect(unavailable.retryAfterMs).toBe(1000);
    expect(mapDataverseError(libraryError(500), "x").retryAfterMs).toBeUndefined();
  });

  it("reads the code of a batch part (error.code) and recognises an expired delta token", () => {
    const part = libraryError(400, { error: { code: "0x80044352", message: "expired" } });
    expect(mapDataverseError(part, "read").code).toBe("DELTA_TOKEN_EXPIRED");
  });

  it("never carries the server's message (it can quote personal data)", () => {
    const mapped = mapDataverseError(libraryError(400, { message: "Duplicate: someone@example.com" }), "create contacts (ref r1)");
    expect(mapped.message).not.toContain("@example.com");
    expect(mapped.message).toContain("create contacts (ref r1)");
  });

  it("maps network failures to transient, library parameter errors to fatal, and keeps typed errors", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(mapDataverseError(reset, "read")).toBeInstanceOf(TransientError);
    const parameter = new Error("DynamicsWebApi.update requires the request.key parameter to be of type String representing GUID");
    const mapped = mapDataverseError(parameter, "update contacts x");
    expect(mapped).toBeInstanceOf(FatalError);
    expect(mapped.code).toBe("CLIENT_ERROR");
    const auth = new AuthError("t", "c", "refused");
    expect(mapDataverseError(auth, "read")).toBe(auth);
  });
});
