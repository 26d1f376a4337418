/**
 * A local Dataverse (Web API v9.2) with its Entra ID token endpoint and a Key Vault
 * secrets endpoint, on one HTTPS port, for tests, `npm start` and the benchmark.
 * Plain node:https; the protocol follows Microsoft's documentation so the real
 * dynamics-web-api, msal-node and SecretClient code paths run against it.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { Authority, type SimClient, VAULT_RESOURCE } from "./auth.js";
import { executeBatch } from "./batch.js";
import { copyCounters, type DataverseCounters, emptyCounters } from "./counters.js";
import { DV, dvError, parseQuery, SimError, type SimRequest, type SimResponse } from "./http.js";
import { Vault } from "./keyvault.js";
import type { PluginRule, RecordFault } from "./plugins.js";
import { type Fault, Faults, faultResponse, type Limits, type PartFault, Protection } from "./protection.js";
import { defaultTables, type KeyIndexStatus, type TableDef } from "./schema.js";
import { type Row, Store } from "./store.js";
import { handleOperation, type WebApiContext, whoAmI } from "./webapi.js";

export type { DataverseCounters, RequestKind } from "./counters.js";
export type { PluginRule, RecordFault } from "./plugins.js";
export type { Fault, Limits, PartFault } from "./protection.js";
export type { AttributeDef, KeyIndexStatus, OptionDef, TableDef } from "./schema.js";
export { defaultTables } from "./schema.js";

export interface DataverseSimOptions {
  /** 0 / undefined: a free port on 127.0.0.1. */
  port?: number;
  tls: { key: string; cert: string };
  tenantId?: string;
  /** App registrations: by client secret, by certificate, or managed identities (auth.ts). */
  clients?: SimClient[];
  /**
   * The secret the host's identity endpoint (`/msi/token`, App Service's protocol) asks in
   * X-IDENTITY-HEADER; set IDENTITY_ENDPOINT to `managedIdentityEndpoint` and IDENTITY_HEADER to it.
   */
  identityHeader?: string;
  /**
   * Tokens only for this environment and its vault, as a real tenant issues them: a token
   * for another system's API (the stand-in Meander) is refused (AADSTS500011). Default: any resource.
   */
  ownResourcesOnly?: boolean;
  /** Tables with their metadata. Default: defaultTables() (contacts and hlf_likepersonactivities, alternate key hlf_meanderid). */
  tables?: TableDef[];
  /** Server cap on page size; default 5000. */
  maxPageSize?: number;
  /** Cost of each request, and of each record operation (inside a $batch too). */
  latencyMs?: number;
  perRecordMs?: number;
  /** Service protection limits; default false (none). */
  limits?: Limits | false;
  /** Key Vault secrets. */
  secrets?: Record<string, string>;
  tokenLifetimeSeconds?: number;
  /** Default: delta tokens never expire (until expireDeltaTokens()). */
  deltaTokenLifetimeMs?: number;
  /**
   * The degree of parallelism Dataverse recommends, sent in `x-ms-dop-hint` on every Web API
   * response (default 8; real environments send their own, often fewer).
   * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/send-parallel-requests
   */
  dopHint?: number;
}

/** One Web API request as the simulator saw it (the last 1,000 are kept), for tests of how a client spaces its retries. */
export interface LoggedRequest {
  readonly method: string;
  /** Below the API root, e.g. `$batch`. */
  readonly path: string;
  /** Epoch ms when the request arrived, and when its answer went out. */
  readonly arrivedAt: number;
  readonly answeredAt: number;
  /** 0 when the connection died before an answer. */
  readonly status: number;
}

const LOG_SIZE = 1000;

export interface DataverseSim {
  /** Org URL; the Web API is under `/api/data/v9.2/`. */
  readonly url: string;
  /** MSAL authority = `${authorityHost}/${tenantId}`. */
  readonly authorityHost: string;
  /** Key Vault secrets API under `/secrets/{name}`. */
  readonly keyVaultUrl: string;
  /** The host's identity endpoint (IDENTITY_ENDPOINT), when `identityHeader` is set. */
  readonly managedIdentityEndpoint: string;
  readonly tenantId: string;
  readonly store: {
    /** Bulk load (no change-tracking noise: before any delta token). */
    seed(entitySet: string, rows: Record<string, unknown>[]): void;
    /** Current rows (copies). */
    list(entitySet: string): Record<string, unknown>[];
    get(entitySet: string, id: string): Record<string, unknown> | undefined;
    /** As a portal user would: new version, modifiedon, tracked. */
    edit(entitySet: string, id: string, patch: Record<string, unknown>): void;
    create(entitySet: string, row: Record<string, unknown>): string;
    /** Tracked deletion. */
    remove(entitySet: string, id: string): void;
    /** Every issued delta token becomes invalid. */
    expireDeltaTokens(): void;
    /** As a CRM user merging two records would (the `Merge` action): the subordinate deactivated, `merged`, `masterid` set. */
    merge(entitySet: string, targetId: string, subordinateId: string, updateContent?: Record<string, unknown>): void;
  };
  readonly faults: {
    failNext(count: number, fault: Fault): void;
    /** The next `count` operations inside `$batch` requests that the fault matches fail with it; the batch is answered. */
    failParts(count: number, fault: PartFault): void;
    clear(): void;
  };
  /** What runs inside Dataverse on a write: plug-ins rewriting a column, records that always fail. */
  readonly plugins: {
    add(rule: PluginRule): void;
    failRecords(fault: RecordFault): void;
    clear(): void;
  };
  /** The live metadata: an alternate key's index status, change tracking. */
  readonly metadata: {
    setKeyStatus(entitySet: string, status: KeyIndexStatus): void;
    setChangeTracking(entitySet: string, enabled: boolean): void;
  };
  counters(): DataverseCounters;
  /** Web API requests since the last resetCounters(), oldest first. */
  requestLog(): LoggedRequest[];
  resetCounters(): void;
  /** Changes the `x-ms-dop-hint` sent from now on, as Dataverse does with the environment's load. */
  setDopHint(hint: number): void;
  setSecret(name: string, value: string): void;
  /** Old secret refused; tokens issued with it are revoked (401 on use). */
  rotateClientSecret(clientId: string, newSecret: string): void;
  close(): Promise<void>;
}

export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-0000000000aa";
const API_ROOT = "/api/data/v9.2/";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, response: SimResponse): void {
  if (res.destroyed) return;
  res.writeHead(response.status, response.headers);
  res.end(response.body ?? "");
}

export async function startDataverseSim(options: DataverseSimOptions): Promise<DataverseSim> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const store = new Store(options.tables ?? defaultTables(), options.deltaTokenLifetimeMs);
  let counters = emptyCounters();
  let log: LoggedRequest[] = [];
  let dopHint = options.dopHint ?? 8;
  const protection = new Protection(options.limits ?? false, () => counters);
  const faults = new Faults();
  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert, keepAlive: true });
  // Node closes idle keep-alive connections after 5 s; a client reusing one at that
  // moment sees a reset that no real Dataverse front end would cause so often.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  const authority = new Authority(
    tenantId,
    origin,
    options.tokenLifetimeSeconds ?? 3600,
    options.clients ?? [],
    options.ownResourcesOnly ? [origin, VAULT_RESOURCE] : undefined,
  );
  const vault = new Vault(origin, `Bearer authorization="${origin}/${tenantId}", resource="${VAULT_RESOURCE}"`, options.secrets);
  const context: WebApiContext = {
    store,
    baseUrl: `${origin}${API_ROOT}`,
    maxPageSize: options.maxPageSize ?? 5000,
    perRecordMs: options.perRecordMs ?? 0,
    get counters() {
      return counters;
    },
  };

  async function webApi(req: IncomingMessage, path: string, search: string, body: string): Promise<SimResponse> {
    const clientId = authority.verify(req.headers.authorization, origin);
    if (!clientId) {
      return dvError(401, DV.unauthorized, "The request is missing a valid bearer token for this organization.", {
        "WWW-Authenticate": `Bearer authorization_uri=${origin}/${tenantId}/oauth2/authorize, resource_id=${origin}/`,
      });
    }
    protection.noteArrival(clientId, req.socket);
    const { rejected, remaining } = protection.admit(clientId, req.socket);
    if (rejected) return rejected;
    const started = Date.now();
    // The per-request cost is server time: it counts as in flight and as execution time.
    const serve = async () => {
      if (options.latencyMs) await sleep(options.latencyMs);
      return await serveWebApi(clientId, req, path, search, body);
    };
    const response = await serve().finally(() => protection.release(clientId, Date.now() - started));
    if (remaining !== undefined) response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"] = String(remaining);
    response.headers["x-ms-dop-hint"] = String(dopHint);
    return response;
  }

  function partFault(clientId: string, connection: object, method: string, path: string): SimResponse | undefined {
    const fault = faults.takePart(method, path);
    if (!fault) return undefined;
    if (fault.status === 429) protection.noteThrottled(clientId, fault.retryAfterSeconds, connection);
    return faultResponse(fault);
  }

  async function serveWebApi(clientId: string, req: IncomingMessage, path: string, search: string, body: string): Promise<SimResponse> {
    try {
      let decoded: string;
      try {
        decoded = decodeURIComponent(path.slice(API_ROOT.length));
      } catch {
        throw new SimError(400, DV.badRequest, "Malformed percent-encoding in the request path.");
      }
      const request: SimRequest = {
        method: req.method ?? "GET",
        path: decoded,
        query: parseQuery(search),
        headers: lowerHeaders(req),
        body,
      };
      if (decoded === "$batch" && request.method === "POST") {
        counters.byKind.batch += 1;
        return await executeBatch(context, request, (op) => partFault(clientId, req.socket, op.method, op.path));
      }
      if (decoded === "WhoAmI" || decoded === "WhoAmI()") return whoAmI();
      return (await handleOperation(context, request)).response;
    } catch (error) {
      if (error instanceof SimError) return error.toResponse();
      return dvError(500, DV.serverError, "Unexpected error in the simulator.");
    }
  }

  function keyVault(req: IncomingMessage, path: string, search: string): SimResponse {
    counters.byKind.keyvault += 1;
    if (!authority.verify(req.headers.authorization, VAULT_RESOURCE)) return vault.unauthorized();
    return vault.handle({ method: req.method ?? "GET", path, query: parseQuery(search), headers: lowerHeaders(req), body: "" });
  }

  function identity(req: IncomingMessage, path: string, search: string, body: string): SimResponse | undefined {
    if (path === "/msi/token" && req.method === "GET" && options.identityHeader !== undefined) {
      counters.byKind.token += 1;
      const header = req.headers["x-identity-header"];
      const { response, issued } = authority.managedIdentityToken(
        new URLSearchParams(search),
        Array.isArray(header) ? header[0] : header,
        options.identityHeader,
      );
      if (issued) counters.tokensIssued += 1;
      return response;
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (token && req.method === "POST") {
      counters.byKind.token += 1;
      const { response, issued } = authority.token(token[1]!, new URLSearchParams(body));
      if (issued) counters.tokensIssued += 1;
      return response;
    }
    const config = /^\/([^/]+)\/(?:v2\.0\/)?\.well-known\/openid-configuration$/.exec(path);
    if (config) {
      counters.byKind.metadata += 1;
      return authority.openIdConfiguration(config[1]!);
    }
    if (path === "/common/discovery/instance") {
      counters.byKind.metadata += 1;
      return authority.instanceDiscovery();
    }
    if (/^\/[^/]+\/discovery\/(v2\.0\/)?keys$/.test(path)) return authority.jwks();
    return undefined;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests += 1;
    const arrivedAt = Date.now();
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    if (path.startsWith(API_ROOT)) {
      res.once("close", () => {
        const status = res.writableFinished ? res.statusCode : 0;
        log.push({ method: req.method ?? "GET", path: safeDecode(path.slice(API_ROOT.length)), arrivedAt, answeredAt: Date.now(), status });
        if (log.length > LOG_SIZE) log = log.slice(-LOG_SIZE);
      });
    }
    const body = await readBody(req);
    const search = q < 0 ? "" : rawUrl.slice(q + 1);
    const method = req.method ?? "GET";
    const client = authority.clientOf(req.headers.authorization) ?? req.socket.remoteAddress ?? "anonymous";

    const fault = faults.take(method, path);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop === "beforeResponse") {
      res.socket?.destroy();
      return;
    }
    if (fault?.drop && fault.drop !== "afterProcessing") {
      // Headers and the start of a body go out first, so the client sees the
      // connection die mid-response, not before it.
      res.writeHead(200, { "Content-Type": "application/json; odata.metadata=minimal", "Content-Length": "4096" });
      res.write('{"@odata.context":"', () => setTimeout(() => res.socket?.destroy(), 5));
      return;
    }
    if (fault?.status) {
      protection.noteArrival(client, req.socket);
      if (fault.status === 429) protection.noteThrottled(client, fault.retryAfterSeconds, req.socket);
      return send(res, faultResponse({ ...fault, status: fault.status }));
    }
    let response: SimResponse | undefined;
    if (path.startsWith(API_ROOT)) response = await webApi(req, path, search, body);
    else {
      if (options.latencyMs) await sleep(options.latencyMs);
      response = path.startsWith("/secrets/") ? keyVault(req, path, search) : identity(req, path, search, body);
    }
    if (fault?.drop === "afterProcessing") {
      res.socket?.destroy();
      return;
    }
    send(res, response ?? dvError(404, DV.notFound, "No such resource on the simulator."));
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch(() => send(res, dvError(500, DV.serverError, "Unexpected error in the simulator.")));
  });

  const copy = (row: Row | undefined) => (row ? structuredClone(row) : undefined);
  return {
    url: origin,
    authorityHost: origin,
    keyVaultUrl: origin,
    managedIdentityEndpoint: `${origin}/msi/token`,
    tenantId,
    store: {
      seed: (entitySet, rows) => store.seed(entitySet, rows),
      list: (entitySet) => [...store.rows(entitySet)].map((row) => structuredClone(row)),
      get: (entitySet, id) => copy(store.get(entitySet, id)),
      edit: (entitySet, id, patch) => {
        store.update(entitySet, id, patch);
      },
      create: (entitySet, row) => store.insert(entitySet, row).id,
      remove: (entitySet, id) => store.remove(entitySet, id),
      expireDeltaTokens: () => store.expireDeltaTokens(),
      merge: (entitySet, targetId, subordinateId, updateContent = {}) => store.merge(entitySet, targetId, subordinateId, updateContent),
    },
    faults: {
      failNext: (count, fault) => faults.failNext(count, fault),
      failParts: (count, fault) => faults.failParts(count, fault),
      clear: () => faults.clear(),
    },
    plugins: {
      add: (rule) => store.pipeline.addPlugin(rule),
      failRecords: (fault) => store.pipeline.addRecordFault(fault),
      clear: () => store.pipeline.clear(),
    },
    metadata: {
      setKeyStatus: (entitySet, status) => {
        for (const key of store.definition(entitySet).keys) key.status = status;
      },
      setChangeTracking: (entitySet, enabled) => {
        store.definition(entitySet).changeTrackingEnabled = enabled;
      },
    },
    counters: () => copyCounters(counters),
    requestLog: () => [...log],
    resetCounters: () => {
      counters = emptyCounters();
      log = [];
    },
    setDopHint: (hint) => {
      dopHint = hint;
    },
    setSecret: (name, value) => vault.set(name, value),
    rotateClientSecret: (clientId, newSecret) => authority.rotateClientSecret(clientId, newSecret),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}
