/**
 * Serves the app's functions without Azure Functions Core Tools: the same definitions
 * functions/index.ts registers, behind a node:http server that builds real HttpRequest /
 * InvocationContext objects, and the timer fired on its schedule by croner.
 * As Core Tools does locally, function keys are not checked.
 *
 * `node dist/scripts/serve.js` serves against the configured settings (env, local.settings.json).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import azureFunctions, { type HttpResponse as AzureHttpResponse, type InvocationContext as AzureInvocationContext, type Timer } from "@azure/functions";
import { Cron } from "croner";
import type { FunctionDefinitions } from "../functions/definitions.js";
import type { HttpFunction } from "../functions/syncHttp.js";

export interface ServeOptions {
  readonly definitions: FunctionDefinitions;
  /** Default 7071 (as Core Tools); 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** The resolved NCRONTAB for the timer (its `%SETTING%` already looked up); omit for no timer. */
  readonly schedule?: string;
  /** Where the functions' log lines go; default stderr. */
  readonly log?: FunctionLog;
}

export type FunctionLog = (level: string, functionName: string, line: string) => void;

const stderrLog: FunctionLog = (level, functionName, line) =>
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(11)} ${functionName}: ${line}\n`);

export interface LocalFunctionsServer {
  readonly url: string;
  /** Runs the timer function now, as the schedule would. */
  fireTimer(isPastDue?: boolean): Promise<void>;
  /** When the timer fires next, if scheduled. */
  nextTimer(): Date | undefined;
  close(): Promise<void>;
}

// The package is CommonJS and Node's ESM loader cannot see these classes as named exports.
const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

const ROUTE_PREFIX = "/api/";
const MAX_REQUEST_BYTES = 1024 * 1024;

interface CompiledRoute {
  readonly fn: HttpFunction;
  readonly match: (segments: readonly string[]) => Record<string, string> | undefined;
  readonly literals: number;
}

/** Azure Functions route templates: literal segments and `{name}` / `{name:constraint}` parameters. */
export function compileRoute(fn: HttpFunction): CompiledRoute {
  const parts = (fn.options.route ?? fn.name).split("/").filter(Boolean);
  const match = (segments: readonly string[]) => {
    if (segments.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (const [i, part] of parts.entries()) {
      const segment = segments[i]!;
      const param = /^\{([A-Za-z_]\w*)(?::[^}]*)?\}$/.exec(part);
      if (param) params[param[1]!] = segment;
      else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
    }
    return params;
  };
  return { fn, match, literals: parts.filter((p) => !p.startsWith("{")).length };
}

function notFound(res: ServerResponse, message: string, status = 404): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify({ error: { code: status === 413 ? "BODY_TOO_LARGE" : "NOT_FOUND", message } }));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const headerRecord = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v]])));

function contextFor(functionName: string, log: FunctionLog): AzureInvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    logHandler: (level, ...args) => log(level, functionName, args.map(String).join(" ")),
  });
}

export async function serveFunctions(options: ServeOptions): Promise<LocalFunctionsServer> {
  const log = options.log ?? stderrLog;
  const routes = options.definitions.http.map(compileRoute).sort((a, b) => b.literals - a.literals);

  async function handle(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    // Appended, not resolved: a path starting with "//" is a path here, not another host.
    const url = new URL(`${origin}${req.url ?? "/"}`);
    if (!url.pathname.startsWith(ROUTE_PREFIX)) return notFound(res, "no function at this path");
    let segments: string[];
    try {
      segments = url.pathname.slice(ROUTE_PREFIX.length).split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return notFound(res, "no function at this path");
    }
    const found = routes.map((r) => ({ r, params: r.match(segments) })).find((m) => m.params);
    if (!found?.params) return notFound(res, "no function at this path");
    const body = await readBody(req);
    if (!body) return notFound(res, `the body must be at most ${MAX_REQUEST_BYTES} bytes`, 413);
    const method = (req.method ?? "GET").toUpperCase();
    // Methods fetch refuses to carry (TRACE, TRACK, CONNECT) are answered here, as the host does.
    if (!KNOWN_METHODS.has(method)) return notFound(res, `method ${method} is not allowed`, 405);
    const request = new HttpRequest({
      method,
      url: url.href,
      headers: headerRecord(req),
      params: found.params,
      ...(body.byteLength > 0 && method !== "GET" && method !== "HEAD" ? { body: { bytes: body } } : {}),
    });
    const context = contextFor(found.r.fn.name, log);
    let response: AzureHttpResponse;
    try {
      response = new HttpResponse(await found.r.fn.options.handler(request, context));
    } catch {
      response = new HttpResponse({
        status: 500,
        jsonBody: { error: { code: "INTERNAL", message: `unexpected error; quote invocation ${context.invocationId}` } },
      });
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  }

  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host ?? "localhost"}`;
    handle(req, res, origin).catch(() => {
      if (!res.headersSent) notFound(res, "unexpected error", 500);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7071, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const { timer } = options.definitions;
  let last: Date | undefined;
  async function fireTimer(isPastDue = false): Promise<void> {
    const now = new Date();
    const info: Timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: (last ?? now).toISOString(), next: (job?.nextRun() ?? now).toISOString(), lastUpdated: now.toISOString() },
    };
    last = now;
    try {
      await timer.options.handler(info, contextFor(timer.name, log));
    } catch (error) {
      log("error", timer.name, `invocation failed: ${(error as Error).message}`);
    }
  }
  // UTC, as the Functions host reads NCRONTAB unless WEBSITE_TIME_ZONE says otherwise;
  // `protect` skips a tick while the previous run is still going, like the host's singleton lock.
  const job = options.schedule ? new Cron(options.schedule, { timezone: "UTC", protect: true }, () => fireTimer(false)) : undefined;

  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    fireTimer,
    nextTimer: () => job?.nextRun() ?? undefined,
    async close() {
      job?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `%NAME%` in a trigger option is an app setting's name, as the host resolves it. */
export const resolveSetting = (value: string, env: Readonly<Record<string, string | undefined>>): string =>
  value.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => env[name] ?? "");

async function main(): Promise<void> {
  const { functionDefinitions } = await import("../functions/definitions.js");
  const { getService } = await import("../shared/composition.js");
  const { appRoot, loadSettings, readLocalSettings } = await import("../shared/config/settings.js");
  const settings = loadSettings(readLocalSettings(appRoot()));
  const definitions = functionDefinitions(getService);
  const server = await serveFunctions({ definitions, schedule: resolveSetting(definitions.timer.options.schedule, { SYNC_SCHEDULE: settings.schedule }) });
  process.stderr.write(`Functions served on ${server.url}/api (no Core Tools); timer next at ${server.nextTimer()?.toISOString()}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`serve: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
