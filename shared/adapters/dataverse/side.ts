/**
 * Dataverse as one side of the sync (RecordSide, side "portal"), on
 * dynamics-web-api with tokens from the PortalTokenProvider.
 */
import type { Scalar, SideRecord } from "../../core/types.js";
import { FatalError } from "../../errors.js";
import type { ChangePage, ReadOptions, RecordSide, WriteOp, WriteOutcome } from "../../ports.js";
import { DataverseClient, type DataverseClientOptions } from "./client.js";
import { type EntitySettings, idsPerGet, readChangePages, readWhere } from "./read.js";
import { writeOps } from "./write.js";

/**
 * Operations per $batch, chosen by measurement against the simulator's cost
 * model (test/adapters-dataverse/batch-size.int.test.ts: 20 ms per request,
 * 2 ms per record, up to 8 in flight). For 600 records (the likeperson
 * population) 100 was the fastest of 25/50/100/250/500 (≈0.3-0.4 s, 6 requests);
 * for 2000, 250 was ~1.3x faster than 100, but a bigger batch loses parallelism
 * on small runs and a batch of slow records (plug-ins) must finish inside
 * Dataverse's 2-minute request limit: 100 records leave 1.2 s each.
 * Dataverse allows up to 1000.
 */
export const DEFAULT_BATCH_SIZE = 100;
/** Records per page; Dataverse's maximum, so a full read of 70,000 contacts is 14 requests. */
export const DEFAULT_PAGE_SIZE = 5000;

export interface DataverseSideOptions extends DataverseClientOptions {
  /** Entity sets this side serves, keyed by entity set name (`contacts`). */
  readonly entities: Readonly<Record<string, EntitySettings>>;
  readonly batchSize?: number;
  readonly pageSize?: number;
}

export class DataverseSide implements RecordSide {
  readonly side = "portal" as const;
  readonly client: DataverseClient;
  private readonly entities: Readonly<Record<string, EntitySettings>>;
  private readonly batchSize: number;
  private readonly pageSize: number;
  private readonly idsPerGetOf = new Map<string, number>();

  constructor(options: DataverseSideOptions) {
    this.client = new DataverseClient(options);
    this.entities = options.entities;
    this.batchSize = Math.min(1000, Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE));
    this.pageSize = Math.min(5000, Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE));
  }

  private entity(name: string): EntitySettings {
    const entity = this.entities[name];
    if (!entity) throw new FatalError("UNKNOWN_ENTITY", `Dataverse entity set ${name} is not configured`);
    return entity;
  }

  readChanges(entity: string, cursor: string | undefined, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    return readChangePages(this.client, entity, this.entity(entity), cursor, {
      pageSize: Math.min(options.pageSize ?? this.pageSize, this.pageSize),
      ...(options.select ? { select: options.select } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.unchanged ? { unchanged: options.unchanged } : {}),
      ...(options.deferFullRead ? { deferFullRead: true } : {}),
    });
  }

  idsPerRead(entity: string): number {
    const known = this.idsPerGetOf.get(entity);
    if (known !== undefined) return known;
    const n = idsPerGet(entity, this.entity(entity));
    this.idsPerGetOf.set(entity, n);
    return n;
  }

  getByIds(entity: string, ids: readonly string[], options: ReadOptions = {}): Promise<SideRecord[]> {
    const settings = this.entity(entity);
    return readWhere(this.client, entity, settings, settings.idField, ids, this.readOptions(options));
  }

  findByField(entity: string, field: string, values: readonly Scalar[], options: ReadOptions = {}): Promise<SideRecord[]> {
    return readWhere(this.client, entity, this.entity(entity), field, values, this.readOptions(options));
  }

  write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    return writeOps(this.client, entity, this.entity(entity), ops, { batchSize: this.batchSize, pageSize: this.pageSize });
  }

  private readOptions(options: ReadOptions) {
    return {
      pageSize: this.pageSize,
      ...(options.select ? { select: options.select } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }
}
