/** Starts the Dataverse simulator for a test file and talks to it with plain fetch. */
import { fileURLToPath } from "node:url";
import { type DataverseSim, type DataverseSimOptions, startDataverseSim } from "../../sim/dataverse/index.js";
import { ensureLocalCertificate } from "../../sim/tls.js";

export const CLIENT = { clientId: "11111111-2222-3333-4444-555555555555", clientSecret: "test-secret-value" };
export const API = "/api/data/v9.2/";

export async function startSim(options: Partial<DataverseSimOptions> = {}): Promise<DataverseSim> {
  const { key, cert } = ensureLocalCertificate(fileURLToPath(new URL("../../.local/tls", import.meta.url)));
  return await startDataverseSim({ tls: { key, cert }, clients: [CLIENT], ...options });
}

export async function getToken(sim: DataverseSim, scope = `${sim.url}/.default`, client = CLIENT): Promise<string> {
  const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, scope, grant_type: "client_credentials" }),
  });
  if (response.status !== 200) throw new Error(`token request failed with ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  json: any;
}

/** Calls the Web API: `path` is below `/api/data/v9.2/` unless it is an absolute URL. */
export async function api(
  sim: DataverseSim,
  token: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<ApiResponse> {
  const url = path.startsWith("https://") ? path : `${sim.url}${API}${path}`;
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json", ...options.headers };
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A GUID made from a number, so tests can name rows. */
export const guid = (n: number): string => `00000000-0000-0000-0000-${n.toString(16).padStart(12, "0")}`;
