/**
 * Every call to Table Storage goes through `TableAccess`: it counts the request,
 * runs it under the shared resilience policy and turns `RestError`s into the typed
 * errors of errors.ts. Conditional writes name the statuses they expect (409, 412,
 * 404): those come back as outcomes, are never retried and never trip the breaker.
 */
import { RestError, type TableClient, type TableEntityResult, type TransactionAction } from "@azure/data-tables";
import { errorFromStatus, FatalError, isNetworkError, parseRetryAfter, SyncError, TransientError } from "../../errors.js";
import type { Resilience } from "../../resilience.js";

/** Requests sent to Table Storage by one `createTables` instance (retries included). */
export interface TableCounters {
  reads: number;
  writes: number;
  queries: number;
  transactions: number;
  /** Entities written or deleted inside transactions. */
  entitiesInTransactions: number;
  /** Entities written (single writes and in transactions; deletes not), as JSON bytes: what the sync state costs to keep. */
  bytesWritten: number;
}

export const newCounters = (): TableCounters => ({ reads: 0, writes: 0, queries: 0, transactions: 0, entitiesInTransactions: 0, bytesWritten: 0 });

const bytesOf = (entity: object) => Buffer.byteLength(JSON.stringify(entity));

export type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };
export type StoredEntity = TableEntityResult<Record<string, unknown>>;

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: number };

/** Most entities one transaction may hold (and they must share a partition). */
export const MAX_BATCH = 100;

/** Maps a failure of a Table Storage call to a typed error. Messages carry the table, operation, status and service code only. */
export function mapTableError(error: unknown, table: string, operation: string): unknown {
  if (error instanceof SyncError) return error;
  if (error instanceof RestError && error.statusCode !== undefined) {
    const status = error.statusCode;
    const code = serviceCode(error);
    if (isMissingTable(error)) {
      return new FatalError("TABLES_TABLE_NOT_FOUND", `table ${table} does not exist: call ensureTables first`, { status, cause: error });
    }
    const retryAfter = parseRetryAfter(error.response?.headers.get("retry-after"));
    const mapped = errorFromStatus(status, `TABLES_${status}`, `table ${table}: ${operation} failed with ${status} ${code}`, retryAfter);
    // Keep the RestError for debugging; it stays out of run records (toInfo drops it).
    Object.defineProperty(mapped, "cause", { value: error, enumerable: false });
    return mapped;
  }
  if (isNetworkError(error) || (error instanceof RestError && error.code === "REQUEST_SEND_ERROR")) {
    return new TransientError("TABLES_NETWORK", `table ${table}: ${operation} failed: network error`, { cause: error });
  }
  if ((error as Error)?.name === "AbortError") return error;
  return new FatalError("TABLES_UNEXPECTED", `table ${table}: ${operation} failed unexpectedly`, { cause: error });
}

/** The service's error code: set on transaction errors, else in `x-ms-error-code` or the OData error body. */
function serviceCode(error: RestError): string {
  if (error.code) return error.code;
  const header = error.response?.headers.get("x-ms-error-code");
  if (header) return header;
  try {
    const body = JSON.parse(error.response?.bodyAsText ?? "") as { "odata.error"?: { code?: unknown } };
    const code = body["odata.error"]?.code;
    if (typeof code === "string") return code;
  } catch {
    // Not JSON: no code to report.
  }
  return "unknown";
}

const isMissingTable = (error: unknown) => error instanceof RestError && error.statusCode === 404 && serviceCode(error) === "TableNotFound";

const statusOf = (error: unknown): number | undefined => (error instanceof RestError ? error.statusCode : undefined);

export class TableAccess {
  constructor(
    readonly client: TableClient,
    private readonly counters: TableCounters,
    private readonly resilience: Resilience,
    private readonly pageSize: number,
  ) {}

  get name(): string {
    return this.client.tableName;
  }

  /** Runs one request: counted, retried when transient, mapped; `expected` statuses return as outcomes. */
  private async call<T>(operation: keyof TableCounters, fn: () => Promise<T>, expected: readonly number[] = []): Promise<Outcome<T>> {
    return await this.resilience.execute(async () => {
      this.counters[operation]++;
      try {
        return { ok: true, value: await fn() } as const;
      } catch (error) {
        const status = statusOf(error);
        // A missing table is never an expected 404: it would read as "no row" and, for a cursor, mean a full resync.
        if (status !== undefined && expected.includes(status) && !isMissingTable(error)) return { ok: false, status } as const;
        throw mapTableError(error, this.name, operation);
      }
    });
  }

  private async must<T>(operation: keyof TableCounters, fn: () => Promise<T>): Promise<T> {
    const outcome = await this.call(operation, fn);
    if (!outcome.ok) throw new FatalError("TABLES_UNEXPECTED", `table ${this.name}: ${operation} returned ${outcome.status}`);
    return outcome.value;
  }

  /** Creates the table; an existing one is fine (the SDK ignores TableAlreadyExists). */
  async ensure(): Promise<void> {
    await this.must("writes", () => this.client.createTable());
  }

  async get(partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    const outcome = await this.call("reads", () => this.client.getEntity(partitionKey, rowKey), [404]);
    return outcome.ok ? outcome.value : undefined;
  }

  async upsert(entity: Entity): Promise<void> {
    this.counters.bytesWritten += bytesOf(entity);
    await this.must("writes", () => this.client.upsertEntity(entity, "Replace"));
  }

  /** Insert if absent; 409 when the row exists. */
  async tryCreate(entity: Entity): Promise<Outcome<string>> {
    this.counters.bytesWritten += bytesOf(entity);
    const outcome = await this.call("writes", () => this.client.createEntity(entity), [409]);
    return outcome.ok ? { ok: true, value: outcome.value.etag ?? "" } : outcome;
  }

  /** Replace only if the row still has `etag`; 412 when it changed, 404 when it is gone. */
  async tryReplace(entity: Entity, etag: string): Promise<Outcome<string>> {
    this.counters.bytesWritten += bytesOf(entity);
    const outcome = await this.call("writes", () => this.client.updateEntity(entity, "Replace", { etag }), [404, 412]);
    return outcome.ok ? { ok: true, value: outcome.value.etag ?? "" } : outcome;
  }

  /** Merge the given properties only if the row still has `etag` (others are kept); 412 / 404 as outcomes. */
  async tryMerge(entity: Entity, etag: string): Promise<Outcome<string>> {
    this.counters.bytesWritten += bytesOf(entity);
    const outcome = await this.call("writes", () => this.client.updateEntity(entity, "Merge", { etag }), [404, 412]);
    return outcome.ok ? { ok: true, value: outcome.value.etag ?? "" } : outcome;
  }

  /** Delete (only if the row still has `etag`, when given); 404 and 412 are outcomes. */
  async tryDelete(partitionKey: string, rowKey: string, etag?: string): Promise<Outcome<void>> {
    const outcome = await this.call("writes", () => this.client.deleteEntity(partitionKey, rowKey, etag ? { etag } : {}), [404, 412]);
    return outcome.ok ? { ok: true, value: undefined } : outcome;
  }

  /** Every entity matching `filter`, page by page, following continuation tokens. */
  async *query(filter: string, options: { select?: string[]; limit?: number } = {}): AsyncGenerator<StoredEntity> {
    let token: string | undefined;
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    do {
      const pageSize = Math.min(this.pageSize, left);
      const page = await this.must("queries", async () => {
        const pages = this.client
          .listEntities({ queryOptions: { filter, ...(options.select ? { select: options.select } : {}) } })
          .byPage({ maxPageSize: pageSize, ...(token ? { continuationToken: token } : {}) });
        const next = await pages.next();
        return next.done ? undefined : next.value;
      });
      if (!page) return;
      for (const entity of page) {
        if (left-- <= 0) return;
        yield entity;
      }
      token = page.continuationToken;
    } while (token && left > 0);
  }

  /**
   * Submits actions as transactions: grouped by partition, at most 100 (and
   * under 4 MiB) per transaction, all in flight at once (the resilience bulkhead bounds
   * concurrency). Within a partition the last action on a row wins, because a
   * transaction may touch each row only once.
   */
  async submit(actions: readonly TransactionAction[]): Promise<void> {
    for (const action of actions) if (action[0] !== "delete") this.counters.bytesWritten += bytesOf(action[1]);
    await Promise.all(chunkByPartition(actions).map((chunk) => (chunk.some(([kind]) => kind === "create") ? this.creating(chunk) : this.transaction(chunk))));
  }

  /**
   * A transaction with `create` actions, for rows expected not to exist yet: the service then
   * looks each row up once instead of twice (an upsert reads the row, then inserts it). When
   * one exists after all (409: a link written before a crash, an index row of an earlier
   * partner), the transaction changed nothing and is sent again with upserts in their place.
   */
  private async creating(chunk: TransactionAction[]): Promise<void> {
    const outcome = await this.call("transactions", () => {
      this.counters.entitiesInTransactions += chunk.length;
      return this.client.submitTransaction(chunk);
    }, [409]);
    if (!outcome.ok) await this.transaction(chunk.map((action): TransactionAction => (action[0] === "create" ? ["upsert", action[1], "Replace"] : action)));
  }

  private async transaction(chunk: TransactionAction[]): Promise<void> {
    await this.must("transactions", () => {
      this.counters.entitiesInTransactions += chunk.length;
      return this.client.submitTransaction(chunk);
    });
  }

  /** Deletes rows in transactions; rows already gone are fine (a chunk that hits one falls back to single deletes). */
  async deleteMany(keys: readonly { partitionKey: string; rowKey: string }[]): Promise<void> {
    const chunks = chunkByPartition(keys.map((k): TransactionAction => ["delete", k]));
    await Promise.all(
      chunks.map(async (chunk) => {
        const outcome = await this.call("transactions", () => {
          this.counters.entitiesInTransactions += chunk.length;
          return this.client.submitTransaction(chunk);
        }, [404]);
        if (outcome.ok) return;
        await Promise.all(chunk.map(([, entity]) => this.tryDelete(entity.partitionKey, entity.rowKey)));
      }),
    );
  }
}

/** A transaction's request body may not exceed 4 MiB; leave room for the multipart framing. */
export const MAX_BATCH_BYTES = 3.5 * 1024 * 1024;

export function chunkByPartition(actions: readonly TransactionAction[]): TransactionAction[][] {
  const partitions = new Map<string, Map<string, TransactionAction>>();
  for (const action of actions) {
    const { partitionKey, rowKey } = action[1] as { partitionKey: string; rowKey: string };
    const rows = partitions.get(partitionKey) ?? new Map<string, TransactionAction>();
    partitions.set(partitionKey, rows);
    rows.delete(rowKey);
    rows.set(rowKey, action);
  }
  const chunks: TransactionAction[][] = [];
  for (const rows of partitions.values()) {
    let chunk: TransactionAction[] = [];
    let bytes = 0;
    for (const action of rows.values()) {
      const size = Buffer.byteLength(JSON.stringify(action[1])) + 512;
      if (chunk.length === MAX_BATCH || (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(action);
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
  }
  return chunks;
}
