/**
 * Reading and validating what a caller sent: path params, query and a JSON body.
 * Every failure is an HttpError naming the field; none echoes the caller's input.
 */
import type { HttpRequest } from "@azure/functions";
import type { z } from "zod";
import { HttpError } from "./errors.js";

export const MAX_BODY_BYTES = 64 * 1024;

const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_.]{0,63}$/;

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = at && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

/** Turns the first zod issue into a 400 naming the field (`body.choice`, `limit`, `configId`). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // Keys in a path may come from the caller: name them only when they are plain identifiers.
  const path = issue.path.map((key) => (typeof key === "number" || SAFE_KEY.test(String(key)) ? String(key) : "(key)"));
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys.find((k) => SAFE_KEY.test(k));
    path.push(...(key ? [key] : []));
  }
  const field = [where, ...path].filter(Boolean).join(".") || undefined;
  const missing = issue.code === "invalid_type" && valueAt(value, issue.path) === undefined;
  const message = issue.code === "unrecognized_keys" ? "is not a known field" : missing ? "is required" : issue.message;
  throw new HttpError(400, "INVALID_INPUT", `${field ?? "input"}: ${message}`, field);
}

export const queryObject = (request: HttpRequest): Record<string, string> => Object.fromEntries(request.query.entries());

function isJson(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json" || (type !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(type));
}

/** The body's bytes, refusing (413) as soon as more than the limit arrived. */
async function readCapped(request: HttpRequest, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, "BODY_TOO_LARGE", `the body must be at most ${maxBytes} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON body validated by `schema`. An absent body is `undefined` before validation,
 * so a schema that accepts undefined makes the body optional.
 */
export async function readJson<S extends z.ZodType>(request: HttpRequest, schema: S, maxBytes = MAX_BODY_BYTES): Promise<z.output<S>> {
  const bytes = await readCapped(request, maxBytes);
  if (bytes.byteLength === 0) return parse(schema, undefined, "body");
  if (!isJson(request.headers.get("content-type"))) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be sent as Content-Type: application/json", "Content-Type");
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "the body is not valid JSON", "body");
  }
  return parse(schema, value, "body");
}
