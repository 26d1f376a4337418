/**
 * Meander as a RecordSide, over the sync contract in api/meander-sync.openapi.yaml.
 * Transient failures are retried inside (shared resilience policy); per-record
 * failures come back as WriteOutcome errors; only fatal errors throw.
 */
import { randomUUID } from "node:crypto";
import type { Scalar, SideRecord } from "../../core/types.js";
import { FatalError, RecordError, SyncError, type SyncErrorInfo, TransientError } from "../../errors.js";
import type { ChangePage, Logger, ReadOptions, RecordSide, TokenSource, WriteOp, WriteOutcome } from "../../ports.js";
import type { ResilienceEvents, ResilienceOptions } from "../../resilience.js";
import { MeanderHttp } from "./http.js";
import { type BatchOperation, type BatchResult, type ChangesPage, CONTRACT_LIMITS, isContractId, type RecordList, type WireRecord } from "./wire.js";

export interface MeanderSideOptions {
  readonly baseUrl: string;
  readonly tokenSource: TokenSource;
  /** Token scope, e.g. `api://meander-sync/.default` (setting MEANDER_API_SCOPE). */
  readonly scope: string;
  /** Change-feed page size (at most 500, the default: measured 4x faster than 100 at 20 ms latency). */
  readonly pageSize?: number;
  /** Operations per batch request (at most 100). */
  readonly batchSize?: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  readonly requestTimeoutMs?: number;
  readonly resilience?: Partial<Omit<ResilienceOptions, "concurrency">>;
  readonly events?: ResilienceEvents;
  readonly logger?: Logger;
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
    else target[key] = value;
  }
}

/** `{ "contact.email": x }` and `{ contact: { email: x } }` both become the nested form the contract takes; `id` is the envelope's, never data. */
function toContractData(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "id" || value === undefined) continue;
    const leaf = isPlainObject(value) ? toContractData(value) : value;
    mergeInto(
      out,
      key.split(".").reduceRight<Record<string, unknown>>((inner, part) => ({ [part]: inner }), leaf as Record<string, unknown>),
    );
  }
  return out;
}

/** Meander data as the core sees it: the contract's data with the record id in it (mappings may use it). */
const toSideRecord = (r: WireRecord): SideRecord => ({ id: r.id, version: r.version, modifiedOn: r.modifiedAt, data: { id: r.id, ...r.data } });

/** Notes a change as handed over; false when this version of the record already was. */
function firstDelivery(delivered: Map<string, string | string[]>, id: string, version: string): boolean {
  const before = delivered.get(id);
  if (before === undefined) delivered.set(id, version);
  else if (before === version || (Array.isArray(before) && before.includes(version))) return false;
  else delivered.set(id, Array.isArray(before) ? [...before, version] : [before, version]);
  return true;
}

export class MeanderSide implements RecordSide {
  readonly side = "meander" as const;
  private readonly http: MeanderHttp;
  private readonly pageSize: number;
  private readonly batchSize: number;

  constructor(private readonly options: MeanderSideOptions) {
    this.http = new MeanderHttp({
      baseUrl: options.baseUrl,
      tokenSource: options.tokenSource,
      scope: options.scope,
      requestTimeoutMs: options.requestTimeoutMs,
      resilience: { ...options.resilience, concurrency: options.concurrency ?? 4 },
      events: options.events,
    });
    this.pageSize = Math.min(options.pageSize ?? CONTRACT_LIMITS.pageSize, CONTRACT_LIMITS.pageSize);
    this.batchSize = Math.min(options.batchSize ?? 100, CONTRACT_LIMITS.batchSize);
  }

  async *readChanges(entity: string, cursor: string | undefined, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    const limit = Math.min(options.pageSize ?? this.pageSize, CONTRACT_LIMITS.pageSize);
    let current = cursor;
    let fullResync = false;
    let stalls = 0;
    // A page served twice (a replaying proxy, a retried request) must not hand the same change over twice.
    // Keyed by the record's id (a string the run holds anyway), not by an id@version string per change.
    const delivered = new Map<string, string | string[]>();
    for (;;) {
      let page: ChangesPage;
      try {
        const query = new URLSearchParams({ limit: String(limit), ...(current === undefined ? {} : { cursor: current }) });
        page = await this.http.call<ChangesPage>(`changes ${entity}`, "GET", `/sync/v1/${encodeURIComponent(entity)}/changes`, {
          query: query.toString(),
          signal: options.signal,
        });
      } catch (error) {
        if (error instanceof SyncError && error.code === "CURSOR_EXPIRED" && current !== undefined && !fullResync) {
          this.options.logger?.warn("meander change-feed cursor expired: full read", { entity });
          current = undefined;
          fullResync = true;
          continue;
        }
        throw error;
      }
      // Items always lie after the cursor they were asked for, so a page with items that does not
      // move the cursor is a replay of an older answer (a cache, a retried proxy): its items may be stale.
      if (current !== undefined && page.nextCursor === current && page.items.length > 0) {
        stalls += 1;
        if (stalls >= 3) throw new TransientError("FEED_STALLED", `meander changes ${entity}: the feed keeps replaying an old page`);
        this.options.logger?.warn("meander change feed replayed an old page: asked again", { entity });
        continue;
      }
      const records: SideRecord[] = [];
      const deletedIds: string[] = [];
      for (const item of page.items) {
        if (!firstDelivery(delivered, item.id, item.version)) continue;
        if ("deleted" in item) deletedIds.push(item.id);
        else records.push(toSideRecord(item));
      }
      yield { records, deletedIds, cursor: page.nextCursor, final: !page.hasMore, ...(fullResync ? { fullResync } : {}) };
      if (!page.hasMore) return;
      stalls = page.nextCursor === current && page.items.length === 0 ? stalls + 1 : 0;
      if (stalls >= 3) throw new TransientError("FEED_STALLED", `meander changes ${entity}: the feed reports more but does not advance`);
      current = page.nextCursor;
    }
  }

  async getByIds(entity: string, ids: readonly string[], options: ReadOptions = {}): Promise<SideRecord[]> {
    const unique = [...new Set(ids)].filter(isContractId);
    const pages = await Promise.all(
      chunk(unique, CONTRACT_LIMITS.ids).map((part) =>
        this.http.call<RecordList>(`records ${entity}`, "GET", `/sync/v1/${encodeURIComponent(entity)}/records`, {
          query: `ids=${part.map(encodeURIComponent).join(",")}`,
          signal: options.signal,
        }),
      ),
    );
    return pages.flatMap((p) => p.items.map(toSideRecord));
  }

  async findByField(entity: string, field: string, values: readonly Scalar[], options: ReadOptions = {}): Promise<SideRecord[]> {
    // The contract caps a value at 200 characters; nothing stored can equal a longer one.
    const wanted = [...new Set(values.filter((v) => v !== null && v !== "").map(String))].filter((v) => v.length <= 200);
    const pages = await Promise.all(
      chunk(wanted, CONTRACT_LIMITS.lookupValues).map((part) =>
        this.http.call<RecordList>(`lookup ${entity}`, "POST", `/sync/v1/${encodeURIComponent(entity)}/lookup`, {
          body: { field, values: part },
          signal: options.signal,
        }),
      ),
    );
    const byId = new Map<string, SideRecord>();
    for (const record of pages.flatMap((p) => p.items)) byId.set(record.id, toSideRecord(record));
    return [...byId.values()];
  }

  async write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    if (ops.length === 0) return [];
    const refs = new Set(ops.map((op) => op.ref));
    if (refs.size !== ops.length) throw new FatalError("DUPLICATE_REF", `meander batch ${entity}: refs must be unique within one write`);
    // An id the contract cannot hold would fail the whole batch request: fail just that operation.
    const malformed = ops.filter((op) => op.op !== "create" && !isContractId(op.id));
    const rejected: WriteOutcome[] = malformed.map((op) => ({
      ref: op.ref,
      ok: false,
      error: new RecordError("INVALID_ID", `meander batch ${entity}: operation ${op.ref} has an id the contract does not allow`).toInfo(),
    }));
    const operations = ops.filter((op) => !malformed.includes(op)).map(toOperation);
    const outcomes = await Promise.all(chunk(operations, this.batchSize).map((part) => this.postBatch(entity, part)));
    const byRef = new Map([...rejected, ...outcomes.flat()].map((o) => [o.ref, o]));
    const result = ops.map((op) => byRef.get(op.ref)!);
    const failed = result.filter((o) => !o.ok).length;
    this.options.logger?.info("meander batch written", { entity, operations: ops.length, failed });
    return result;
  }

  private async postBatch(entity: string, operations: BatchOperation[]): Promise<WriteOutcome[]> {
    let results: BatchResult[];
    try {
      // One key per logical batch: a retry after a lost answer replays the first result instead of applying twice.
      const response = await this.http.call<{ results: BatchResult[] }>(`batch ${entity}`, "POST", `/sync/v1/${encodeURIComponent(entity)}/batch`, {
        body: { operations },
        headers: { "idempotency-key": randomUUID() },
      });
      results = response.results;
    } catch (error) {
      if (error instanceof SyncError && error.kind !== "fatal") {
        const info = error.toInfo();
        return operations.map((op) => ({ ref: op.ref, ok: false, error: info }));
      }
      throw error;
    }
    const byRef = new Map(results.map((r) => [r.ref, r]));
    return operations.map((op) => toOutcome(entity, op, byRef.get(op.ref)));
  }
}

function toOperation(op: WriteOp): BatchOperation {
  switch (op.op) {
    case "create": {
      if (!op.upsertKey) return { ref: op.ref, op: "upsert", data: toContractData(op.data) };
      // The port's promise is that the record's `field` holds the key, so later lookups by that field find it too.
      const { field, value } = op.upsertKey;
      const data = field === "externalRef" ? op.data : { ...op.data, [field]: value };
      return { ref: op.ref, op: "upsert", externalRef: value, data: toContractData(data) };
    }
    case "update":
      return { ref: op.ref, op: "upsert", id: op.id, ...(op.ifMatch ? { ifVersion: op.ifMatch } : {}), data: toContractData(op.data) };
    case "delete":
      return { ref: op.ref, op: "delete", id: op.id, ...(op.ifMatch ? { ifVersion: op.ifMatch } : {}) };
  }
}

const safeCode = (code: unknown) => (typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined);

function toOutcome(entity: string, op: BatchOperation, result: BatchResult | undefined): WriteOutcome {
  const fail = (error: SyncErrorInfo): WriteOutcome => ({ ref: op.ref, ok: false, error });
  if (!result) return fail(new RecordError("NO_RESULT", `meander batch ${entity}: no result for operation ${op.ref}`).toInfo());
  const id = result.id ?? op.id;
  if ((result.status === 200 || result.status === 201 || result.status === 204) && id) {
    return { ref: op.ref, ok: true, id, ...(result.version ? { version: result.version } : {}) };
  }
  const subject = `meander ${entity} ${op.id ?? `operation ${op.ref}`}`;
  const fields = (result.problem?.errors ?? []).map((e) => e.pointer ?? e.parameter).filter((f) => f !== undefined);
  const known: Record<number, [string, string]> = {
    404: ["NOT_FOUND", "no such record"],
    409: [safeCode(result.problem?.code) ?? "CONFLICT", "conflicts with another record"],
    412: ["PRECONDITION_FAILED", "the version changed since it was read"],
    422: ["INVALID_DATA", `data does not fit${fields.length > 0 ? ` (fields: ${fields.join(", ")})` : ""}`],
  };
  const [code, problem] = known[result.status] ?? [`HTTP_${result.status}`, "failed"];
  return fail(new RecordError(code, `${subject}: ${problem}`, { status: result.status }).toInfo());
}
