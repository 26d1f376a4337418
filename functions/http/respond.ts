import type { HttpResponseInit } from "@azure/functions";

/** A JSON answer that no cache keeps and no browser sniffs into something else. */
export function json(status: number, payload: unknown, headers: Readonly<Record<string, string>> = {}): HttpResponseInit {
  return {
    status,
    jsonBody: payload,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", ...headers },
  };
}
