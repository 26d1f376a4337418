/** Calls the registered HTTP handlers directly, as the Functions host would. */
import { HttpRequest, HttpResponse, InvocationContext } from "@azure/functions";
import { createHttpFunctions } from "../../functions/syncHttp.js";
import type { AuthSettings } from "../../shared/config/settings.js";
import type { AdminService } from "../../shared/service.js";

export interface Called {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
  /** Each log line parsed: the handlers write one JSON object per line. */
  logs: { level: string; line: Record<string, unknown> }[];
}

export interface CallInit {
  method?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** Sent as application/json. */
  json?: unknown;
}

export function caller(service: AdminService, auth: AuthSettings = { enabled: false, adminRole: "SyncAdmin" }) {
  const functions = createHttpFunctions({ getService: async () => service, auth: () => auth });
  return async (name: string, init: CallInit = {}): Promise<Called> => {
    const fn = functions.find((f) => f.name === name);
    if (!fn) throw new Error(`no function ${name}`);
    const logs: Called["logs"] = [];
    const context = new InvocationContext({
      functionName: name,
      invocationId: "inv-0001",
      logHandler: (level, ...args) => logs.push({ level, line: JSON.parse(String(args[0])) as Record<string, unknown> }),
    });
    const method = init.method ?? "GET";
    // As on the wire: GET and HEAD carry no body.
    const body = method === "GET" || method === "HEAD" ? undefined : init.json !== undefined ? JSON.stringify(init.json) : init.body;
    const headers = { ...(init.json !== undefined ? { "content-type": "application/json" } : {}), ...init.headers };
    const query = new URLSearchParams(init.query ?? {}).toString();
    const request = new HttpRequest({
      method,
      url: `http://localhost:7071/api/${fn.options.route}${query ? `?${query}` : ""}`,
      headers,
      params: init.params ?? {},
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
    const response = new HttpResponse(await fn.options.handler(request, context));
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text, logs };
  };
}
