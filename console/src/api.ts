/**
 * The console's only way to the service: a client generated from api/admin.openapi.yaml
 * (`npm run build` regenerates schema.d.ts first, so an API change that breaks a page breaks the build).
 * Calls go to the console's mount of the admin API, which the signed-in admin's session opens.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type SyncResult = Schemas["SyncResult"];
export type ConflictRecord = Schemas["ConflictRecord"];
export type ConfigSummary = Schemas["ConfigSummary"];
export type ConfigOverview = Schemas["ConfigOverview"];
export type LedgerEntry = Schemas["LedgerEntry"];
export type ResolutionInput = Schemas["ResolutionInput"];
export type Scalar = Schemas["Scalar"];
export type Side = Schemas["Side"];

export const api = createClient<paths>({
  baseUrl: `${import.meta.env.BASE_URL}api`,
  // Proves a same-origin script sent a state-changing request (functions/http/session.ts).
  headers: { "X-Sync-Console": "1" },
  // The answers hold members' values: never from or into the browser's cache.
  cache: "no-store",
});

/** The message of an error answer (api/admin.openapi.yaml `Error`), for the page's alert. */
export function errorText(error: unknown, status: number): string {
  const body = error as { error?: { message?: unknown; code?: unknown } } | undefined;
  const message = typeof body?.error?.message === "string" ? body.error.message : "ukjent feil";
  const code = typeof body?.error?.code === "string" ? ` (${body.error.code})` : "";
  return `Tjenesten svarte ${status}: ${message}${code}`;
}

/** Unwraps an openapi-fetch answer: the data, or an Error with a readable message. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await request;
  } catch {
    // An expired sign-in turns into a redirect to the login page, which fetch cannot follow.
    throw new Error("Fikk ikke kontakt med tjenesten. Last siden på nytt; du kan ha blitt logget ut.");
  }
  const { data, error, response } = answer;
  if (data === undefined || error !== undefined) throw new Error(errorText(error, response.status));
  return data;
}
