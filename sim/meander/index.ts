/**
 * An in-process simulator of the Meander sync contract (api/meander-sync.openapi.yaml):
 * plain node:http, in-memory store, a fixed-window rate limiter that answers 429 with
 * Retry-After and counts requests that arrive too early, fault injection and counters.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { loadContract } from "./contract.js";
import { type FaultSpec, Faults, type RequestKind } from "./faults.js";
import { Limiter, type LimiterOptions } from "./limiter.js";
import { type BatchOperation, ENTITIES, type Entity, EntityStore, isEntity, LOOKUP_FIELDS, type Problem, problem, type WireRecord } from "./store.js";

export type { FaultSpec, RequestKind } from "./faults.js";
export type { Entity, WireRecord } from "./store.js";

export type MeanderSimLimits = LimiterOptions;

export interface MeanderSimOptions {
  port?: number;
  /** Added to every request (server time). */
  latencyMs?: number;
  /** The documented 600 requests / 60 s by default; false turns limiting off. */
  limits?: MeanderSimLimits | false;
  acceptToken?: (token: string) => boolean;
  maxPageSize?: number;
  maxBatchSize?: number;
  /**
   * Requests already in flight when a 429 went out are not the client's fault: only
   * requests arriving this long after the throttling began count as violations.
   */
  violationGraceMs?: number;
  now?: () => Date;
  /** Sees every answer the simulator gives (contract tests validate them). */
  observe?: (exchange: Exchange) => void;
}

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly kind?: RequestKind;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export interface MeanderSimCounters {
  requests: number;
  byKind: Record<RequestKind, number>;
  recordsWritten: number;
  noopWrites: number;
  throttled: number;
  retryAfterViolations: number;
}

export interface MeanderSim {
  readonly url: string;
  readonly store: {
    seed(entity: Entity, records: readonly Record<string, unknown>[]): void;
    list(entity: Entity): WireRecord[];
    get(entity: Entity, id: string): WireRecord | undefined;
    edit(entity: Entity, id: string, patch: Record<string, unknown>): WireRecord;
    create(entity: Entity, data: Record<string, unknown>): string;
    remove(entity: Entity, id: string): void;
    /** Retention passed: every cursor handed out so far now gets 410. */
    expireCursors(entity: Entity): void;
  };
  readonly faults: { failNext(count: number, spec?: FaultSpec): void; clear(): void };
  counters(): MeanderSimCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const DOCUMENTED = { pageSize: 100, maxPageSize: 500, maxBatchSize: 100, limits: { requestsPerWindow: 600, windowMs: 60_000 } };
const MAX_BODY_BYTES = 1 << 20;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body,
});
const fail = (p: Problem, headers: Record<string, string> = {}): Reply => ({
  status: p.status,
  headers: { "content-type": "application/problem+json", ...headers },
  body: p,
});

// Opaque to clients; `g` is the retention generation, so expiring cursors never touches new ones.
const encodeCursor = (entity: Entity, seq: number, generation: number) =>
  Buffer.from(JSON.stringify({ e: entity, s: seq, g: generation })).toString("base64url");
function decodeCursor(entity: Entity, cursor: string): { seq: number; generation: number } | undefined {
  try {
    const { e, s, g } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { e?: unknown; s?: unknown; g?: unknown };
    if (e !== entity || !Number.isSafeInteger(s) || (s as number) < 0 || !Number.isSafeInteger(g)) return undefined;
    return { seq: s as number, generation: g as number };
  } catch {
    return undefined;
  }
}

const emptyCounters = (): MeanderSimCounters => ({
  requests: 0,
  byKind: { changes: 0, batch: 0, lookup: 0, records: 0 },
  recordsWritten: 0,
  noopWrites: 0,
  throttled: 0,
  retryAfterViolations: 0,
});

export async function startMeanderSim(options: MeanderSimOptions = {}): Promise<MeanderSim> {
  const contract = loadContract();
  const now = options.now ?? (() => new Date());
  const stores = Object.fromEntries(ENTITIES.map((e) => [e, new EntityStore(e, now)])) as Record<Entity, EntityStore>;
  const faults = new Faults();
  const limiter = new Limiter(options.limits === false ? undefined : (options.limits ?? DOCUMENTED.limits), options.violationGraceMs ?? 100);
  const maxPageSize = Math.min(options.maxPageSize ?? DOCUMENTED.maxPageSize, DOCUMENTED.maxPageSize);
  const maxBatchSize = Math.min(options.maxBatchSize ?? DOCUMENTED.maxBatchSize, DOCUMENTED.maxBatchSize);
  const acceptToken = options.acceptToken ?? ((token: string) => token.length > 0);
  let counters = emptyCounters();
  const lastChanges = new Map<Entity, Reply>();
  const idempotency = new Map<string, { fingerprint: string; reply: Reply }>();

  const tooMany = (seconds: number) => fail(problem(429, "RATE_LIMITED", `too many requests: retry after ${seconds} s`), { "retry-after": String(seconds) });
  function admit(at: number): Reply | undefined {
    const verdict = limiter.admit(at);
    if (verdict.admitted) return undefined;
    counters.throttled += 1;
    if (verdict.violation) counters.retryAfterViolations += 1;
    return tooMany(verdict.retryAfterSeconds);
  }

  async function readBody(req: IncomingMessage): Promise<{ value?: unknown; error?: Reply }> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return { error: fail(problem(413, "BODY_TOO_LARGE", `the body exceeds ${MAX_BODY_BYTES} bytes`)) };
      chunks.push(chunk);
    }
    try {
      return { value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
    } catch {
      return { error: fail(problem(400, "INVALID_JSON", "the body is not JSON")) };
    }
  }

  const invalid = (name: string, value: unknown): Reply | undefined => {
    const problems = contract.check(name, value);
    return problems.length > 0 ? fail(problem(400, "INVALID_REQUEST", "the request does not match the contract", problems)) : undefined;
  };

  function changes(entity: Entity, query: URLSearchParams): Reply {
    const rawLimit = query.get("limit");
    const limit = rawLimit === null ? DOCUMENTED.pageSize : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > DOCUMENTED.maxPageSize) {
      return fail(
        problem(400, "INVALID_REQUEST", `limit must be an integer from 1 to ${DOCUMENTED.maxPageSize}`, [{ parameter: "limit", detail: "out of range" }]),
      );
    }
    const cursor = query.get("cursor");
    const store = stores[entity];
    const position = cursor === null ? { seq: 0, generation: store.cursorGeneration } : decodeCursor(entity, cursor);
    if (position === undefined)
      return fail(problem(400, "CURSOR_INVALID", "the cursor was not issued for this entity", [{ parameter: "cursor", detail: "is not a valid cursor" }]));
    if (position.generation !== store.cursorGeneration)
      return fail(problem(410, "CURSOR_EXPIRED", "the cursor is older than the retention: read from the start"));
    const page = store.changes(position.seq, Math.min(limit, maxPageSize));
    const items = page.items.map((r) => (r.data ? store.wire(r) : { id: r.id, version: r.version, modifiedAt: r.modifiedAt, deleted: true }));
    return json(200, { items, nextCursor: encodeCursor(entity, page.lastSeq, store.cursorGeneration), hasMore: page.hasMore });
  }

  function batch(entity: Entity, body: unknown, idempotencyKey: string | undefined): Reply {
    const bad = invalid("BatchRequest", body);
    if (bad) return bad;
    const operations = (body as { operations: BatchOperation[] }).operations;
    if (operations.length > maxBatchSize) {
      return fail(
        problem(400, "BATCH_TOO_LARGE", `at most ${maxBatchSize} operations per batch`, [
          { pointer: "/operations", detail: `more than ${maxBatchSize} items` },
        ]),
      );
    }
    const refs = new Set<string>();
    for (const [index, op] of operations.entries()) {
      if (refs.has(op.ref))
        return fail(
          problem(400, "DUPLICATE_REF", "refs must be unique within a batch", [{ pointer: `/operations/${index}/ref`, detail: "repeats an earlier ref" }]),
        );
      refs.add(op.ref);
    }
    const cacheKey = idempotencyKey === undefined ? undefined : `${entity}:${idempotencyKey}`;
    const fingerprint = JSON.stringify(body);
    const seen = cacheKey === undefined ? undefined : idempotency.get(cacheKey);
    if (seen) {
      if (seen.fingerprint !== fingerprint) return fail(problem(422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for a different request"));
      return { ...seen.reply, headers: { ...seen.reply.headers, "idempotent-replayed": "true" } };
    }
    const results = operations.map((op, index) => {
      const { result, changed } = stores[entity].apply(op, index);
      if (changed) counters.recordsWritten += 1;
      else if (result.status === 200) counters.noopWrites += 1;
      return result;
    });
    const reply = json(200, { results });
    if (cacheKey !== undefined) idempotency.set(cacheKey, { fingerprint, reply });
    return reply;
  }

  function lookup(entity: Entity, body: unknown): Reply {
    const bad = invalid("LookupRequest", body);
    if (bad) return bad;
    const { field, values } = body as { field: string; values: string[] };
    if (!LOOKUP_FIELDS[entity].includes(field)) {
      return fail(problem(400, "INVALID_REQUEST", `field is not a match key of ${entity}`, [{ pointer: "/field", detail: "not a match key of this entity" }]));
    }
    const store = stores[entity];
    return json(200, { items: store.lookup(field, values).map((r) => store.wire(r)) });
  }

  function records(entity: Entity, ids: unknown, fromQuery: boolean): Reply {
    const problems = contract.check("IdsRequest", { ids });
    if (problems.length > 0) {
      const errors = fromQuery ? problems.map((p) => ({ parameter: "ids", detail: p.detail })) : problems;
      return fail(problem(400, "INVALID_REQUEST", "ids do not match the contract", errors));
    }
    const store = stores[entity];
    const found = [...new Set(ids as string[])].map((id) => store.get(id)).filter((r) => r !== undefined);
    return json(200, { items: found.map((r) => store.wire(r)) });
  }

  async function handle(req: IncomingMessage, path: string, query: URLSearchParams): Promise<{ reply: Reply; kind?: RequestKind; fault?: FaultSpec }> {
    counters.requests += 1;
    const match = /^\/sync\/v1\/([^/]+)\/(changes|batch|lookup|records)$/.exec(path);
    if (!match) return { reply: fail(problem(404, "NOT_FOUND", "no such route")) };
    const [, entity = "", kind = "changes"] = match as unknown as [string, string, RequestKind];
    counters.byKind[kind] += 1;
    const method = req.method ?? "GET";
    const allowed = kind === "changes" ? ["GET"] : kind === "records" ? ["GET", "POST"] : ["POST"];
    if (!allowed.includes(method)) return { kind, reply: fail(problem(405, "METHOD_NOT_ALLOWED", "method not allowed"), { allow: allowed.join(", ") }) };
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!token || !acceptToken(token)) {
      return { kind, reply: fail(problem(401, "UNAUTHORIZED", "a valid bearer token is required"), { "www-authenticate": 'Bearer realm="meander-sync"' }) };
    }
    const refused = admit(Date.now());
    if (refused) return { kind, reply: refused };
    if (!isEntity(entity)) return { kind, reply: fail(problem(404, "UNKNOWN_ENTITY", "no such entity", [{ parameter: "entity", detail: "unknown" }])) };

    const fault = faults.take({ method, path, kind });
    if (options.latencyMs) await sleep(options.latencyMs);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop === true) return { kind, fault, reply: json(0, null) };
    if (fault?.status) {
      if (fault.retryAfterSeconds !== undefined) limiter.hold(Date.now(), fault.retryAfterSeconds);
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { "retry-after": String(fault.retryAfterSeconds) };
      const injected = {
        ...problem(fault.status, fault.status === 429 ? "RATE_LIMITED" : "INJECTED_FAULT", "injected failure"),
        ...fault.problem,
        status: fault.status,
      };
      return { kind, fault, reply: fail(injected, headers) };
    }
    if (kind === "changes") {
      const previous = lastChanges.get(entity);
      if (fault?.duplicatePage && previous) return { kind, fault, reply: previous };
      const reply = changes(entity, query);
      if (reply.status === 200) lastChanges.set(entity, reply);
      return { kind, fault, reply };
    }
    if (kind === "records" && method === "GET") {
      return { kind, fault, reply: records(entity, (query.get("ids") ?? "").split(",").filter(Boolean), true) };
    }
    const body = await readBody(req);
    if (body.error) return { kind, fault, reply: body.error };
    const key = req.headers["idempotency-key"];
    if (typeof key === "string" && (key.length === 0 || key.length > 100)) {
      return {
        kind,
        fault,
        reply: fail(
          problem(400, "INVALID_REQUEST", "Idempotency-Key must have 1 to 100 characters", [{ parameter: "Idempotency-Key", detail: "wrong length" }]),
        ),
      };
    }
    const reply =
      kind === "batch"
        ? batch(entity, body.value, typeof key === "string" ? key : undefined)
        : kind === "lookup"
          ? lookup(entity, body.value)
          : records(entity, (body.value as { ids?: unknown } | null)?.ids, false);
    return { kind, fault, reply };
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://sim.local");
    handle(req, url.pathname, url.searchParams)
      .catch(() => ({ reply: fail(problem(500, "INTERNAL", "simulator error")), kind: undefined, fault: undefined }))
      .then(({ reply, kind, fault }) => {
        if (fault?.drop) {
          req.socket.destroy();
          return;
        }
        const body = JSON.stringify(reply.body);
        res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(body) });
        res.end(body);
        options.observe?.({ method: req.method ?? "GET", path: url.pathname, kind, status: reply.status, headers: reply.headers, body: reply.body });
      });
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    store: {
      seed: (entity, list) => stores[entity].seed(list),
      list: (entity) => stores[entity].live().map((r) => stores[entity].wire(r)),
      get: (entity, id) => {
        const record = stores[entity].get(id);
        return record ? stores[entity].wire(record) : undefined;
      },
      edit: (entity, id, patch) => stores[entity].wire(stores[entity].edit(id, patch)),
      create: (entity, data) => stores[entity].create(data),
      remove: (entity, id) => stores[entity].remove(id),
      expireCursors: (entity) => {
        stores[entity].cursorGeneration += 1;
      },
    },
    faults: { failNext: (count, spec) => faults.failNext(count, spec), clear: () => faults.clear() },
    counters: () => structuredClone(counters),
    resetCounters: () => {
      counters = emptyCounters();
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
