/**
 * Sync state in Azure Table Storage: links, the lock (with the cursors), conflicts, the
 * retry ledger and run records (docs/architecture.md). Azurite through a connection string;
 * in Azure an endpoint with a managed identity (no keys).
 */
import type { TokenCredential } from "@azure/core-auth";
import { TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import { DefaultAzureCredential } from "@azure/identity";
import { SettingsError } from "../../errors.js";
import type { Clock, LockStore, RunStore, StateStore } from "../../ports.js";
import { createResilience, type ResilienceEvents, type ResilienceOptions } from "../../resilience.js";
import { newCounters, TableAccess, type TableCounters } from "./access.js";
import { LEGACY_LINK_BUCKETS, linkBucketsOf } from "./layout.js";
import { createLinkStore } from "./links.js";
import { createLockStore } from "./lock.js";
import { createRunStore } from "./runs.js";
import { createConflictStore, createLedgerStore } from "./state.js";

export type { TableCounters } from "./access.js";
export { mapTableError } from "./access.js";
export { decodeKey, encodeKey } from "./keys.js";
export { newRunId } from "./runId.js";

/** Link partitions per config of a fresh links table (layout.ts; bench/tables.ts and README in this folder). */
export const DEFAULT_LINK_BUCKETS = 64;
/** Table requests in flight per instance, chosen by bench/tables.ts. */
export const DEFAULT_CONCURRENCY = 32;

export interface TablesOptions {
  /** Azurite or a storage account key (local use). */
  readonly connectionString?: string;
  /** `https://<account>.table.core.windows.net` in Azure, used with `credential`. */
  readonly endpoint?: string;
  /** Defaults to DefaultAzureCredential (managed identity in Azure; AZURE_CLIENT_ID picks a user-assigned one). */
  readonly credential?: TokenCredential;
  /** Table name prefix, letters and digits: tables are `<prefix>runs`, `<prefix>links`... Default "sync". */
  readonly prefix?: string;
  readonly clock?: Clock;
  /**
   * Link partitions per config, as given (tests, tools). Unset: the count the links table records
   * (layout.ts), learnt by `ensureTables`; a fresh table gets DEFAULT_LINK_BUCKETS.
   */
  readonly linkBuckets?: number;
  /** Above this many ids, `getLinks` scans the config's links before point reads (links.ts). */
  readonly linkScanThreshold?: number;
  /** Links a `getLinks` scan may read per id asked for before it falls back to point reads. */
  readonly linkScanRatio?: number;
  /** Table requests in flight at once. */
  readonly concurrency?: number;
  /** Entities per query page (the service caps it at 1,000). */
  readonly pageSize?: number;
  readonly resilience?: Partial<ResilienceOptions>;
  /** Retries, throttling and breaker events (for logging and benchmarks). */
  readonly events?: ResilienceEvents;
}

export interface Tables {
  readonly state: StateStore;
  readonly runs: RunStore;
  readonly locks: LockStore;
  /** Creates the five tables if missing (start-up, tests, the local stack). */
  ensureTables(): Promise<void>;
  /** Requests sent by this instance, for benchmarks and operators. */
  readonly counters: TableCounters;
  readonly tableNames: Readonly<Record<TableKind, string>>;
}

export type TableKind = "runs" | "links" | "locks" | "conflicts" | "ledger";
const KINDS: readonly TableKind[] = ["runs", "links", "locks", "conflicts", "ledger"];

export function createTables(options: TablesOptions): Tables {
  const prefix = options.prefix ?? "sync";
  // Table names: 3-63 letters and digits, starting with a letter; "conflicts" is the longest suffix.
  if (!/^[A-Za-z][A-Za-z0-9]{0,53}$/.test(prefix)) throw new SettingsError("tables prefix", "must be letters and digits, starting with a letter, at most 54");
  const given = options.linkBuckets;
  if (given !== undefined && (!Number.isInteger(given) || given < 1 || given > 100)) throw new SettingsError("linkBuckets", "must be an integer from 1 to 100");
  // Until ensureTables has read the table's layout, the legacy count: what every table written before the layout row holds.
  const layout = { buckets: given ?? LEGACY_LINK_BUCKETS };

  const clientFor = tableClientFactory(options);
  const counters = newCounters();
  const resilience = createResilience(
    {
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 5_000,
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      ...options.resilience,
    },
    options.events,
  );
  const pageSize = Math.min(options.pageSize ?? 1_000, 1_000);
  const tableNames = Object.fromEntries(KINDS.map((k) => [k, `${prefix}${k}`])) as Record<TableKind, string>;
  const access = Object.fromEntries(KINDS.map((k) => [k, new TableAccess(clientFor(tableNames[k]), counters, resilience, pageSize)])) as Record<
    TableKind,
    TableAccess
  >;
  const clock = options.clock ?? { now: () => new Date() };

  return {
    state: {
      ...createLinkStore(access.links, {
        get buckets() {
          return layout.buckets;
        },
        ...(options.linkScanThreshold !== undefined ? { scanThreshold: options.linkScanThreshold } : {}),
        ...(options.linkScanRatio !== undefined ? { scanRatio: options.linkScanRatio } : {}),
      }),
      ...createLedgerStore(access.ledger),
      ...createConflictStore(access.conflicts),
    },
    runs: createRunStore(access.runs),
    locks: createLockStore(access.locks, clock, options.events),
    async ensureTables() {
      await Promise.all(KINDS.map((k) => access[k].ensure()));
      if (given === undefined) layout.buckets = await linkBucketsOf(access.links, DEFAULT_LINK_BUCKETS);
    },
    counters,
    tableNames,
  };
}

function tableClientFactory(options: TablesOptions): (table: string) => TableClient {
  // The SDK's own retries are off: the resilience policy is the one place that retries.
  const common: TableServiceClientOptions = { retryOptions: { maxRetries: 0 } };
  if (options.connectionString) {
    const cs = options.connectionString;
    const insecure = /TableEndpoint=http:|DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true/i.test(cs);
    return (table) => TableClient.fromConnectionString(cs, table, { ...common, allowInsecureConnection: insecure });
  }
  if (options.endpoint) {
    const endpoint = options.endpoint;
    const credential = options.credential ?? new DefaultAzureCredential();
    const insecure = endpoint.startsWith("http:");
    return (table) => new TableClient(endpoint, table, credential, { ...common, allowInsecureConnection: insecure });
  }
  throw new SettingsError("AzureWebJobsStorage or SYNC_TABLES_URL", "neither a connection string nor an endpoint is set");
}
