/**
 * One run of the real service (`createService(...).runSync`, the path the timer takes),
 * measured from inside the process that runs it: wall time, CPU time, peak RSS and the
 * Table Storage operations of the run itself (table creation at start-up, once per
 * process in Azure Functions, is left out).
 */
import { type ComposedService, createService } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import type { SideCounts, SyncResult } from "../shared/core/types.js";
import { createJsonLogger } from "../shared/logging.js";
import { CONFIG_ID } from "./params.js";

/** The setting that names the config a measured run syncs (bench/suite.ts); the likepersons config without it. */
export const BENCH_CONFIG_SETTING = "BENCH_CONFIG_ID";

import { countPortalReads, type PrivacyFigures, personalDataAtRest } from "./privacy.js";

export interface TableOps {
  readonly reads: number;
  readonly writes: number;
  readonly queries: number;
  readonly transactions: number;
  readonly entitiesInTransactions: number;
  /** Entities written (single writes and in transactions), and their JSON bytes. */
  readonly entitiesWritten: number;
  readonly bytesWritten: number;
  /** Requests: reads + writes + queries (pages) + transactions. */
  readonly total: number;
}

export interface RunMeasurement {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Peak resident set of the measuring process, start-up included. */
  readonly maxRssMB: number;
  readonly tableOps: TableOps;
  readonly status: SyncResult["status"];
  readonly counts: SyncResult["counts"];
  readonly conflicts: SyncResult["conflicts"];
  readonly errorCount: number;
  readonly errorCodes: readonly string[];
  readonly notes: readonly string[];
  /** Warning and error log lines by message (the service's logs carry no personal data). */
  readonly warnings: Readonly<Record<string, number>>;
  /**
   * Milliseconds during which at least one call to the port was in flight: where a run's wall
   * time goes. Ports overlap (both sides are written at once), so these do not add up to it.
   */
  readonly busyMs: Readonly<Record<string, number>>;
  readonly privacy: PrivacyFigures;
}

/** Wraps the service's ports in place to time them; the run itself is untouched. */
function timePorts(service: ComposedService): Record<string, number> {
  const busy: Record<string, number> = {};
  const track = (port: string) => {
    let inFlight = 0;
    let since = 0;
    busy[port] = 0;
    return {
      start() {
        if (inFlight++ === 0) since = performance.now();
      },
      end() {
        if (--inFlight === 0) busy[port] = (busy[port] ?? 0) + performance.now() - since;
      },
    };
  };
  const wrap = (target: object, methods: readonly string[], port: string) => {
    const t = track(port);
    const record = target as Record<string, (...args: unknown[]) => unknown>;
    for (const name of methods) {
      const original = record[name]?.bind(target);
      if (!original) continue;
      record[name] = (...args: unknown[]) => {
        const value = original(...args);
        if (value && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") return timedIterable(value as AsyncIterable<unknown>, t);
        t.start();
        return Promise.resolve(value).finally(() => t.end());
      };
    }
  };
  for (const side of ["portal", "meander"] as const) {
    wrap(service.sides[side], ["readChanges"], `${side} reads`);
    wrap(service.sides[side], ["getByIds", "findByField"], `${side} lookups`);
    wrap(service.sides[side], ["write"], `${side} writes`);
  }
  wrap(service.deps.state, ["getLinks", "listLinks"], "links read");
  wrap(service.deps.state, ["putLinks", "deleteLinks"], "links written");
  return busy;
}

async function* timedIterable<T>(source: AsyncIterable<T>, t: { start(): void; end(): void }): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    t.start();
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } finally {
      t.end();
    }
    if (next.done) return;
    yield next.value;
  }
}

export async function measureRun(env: Record<string, string>, progress?: (line: string) => void): Promise<RunMeasurement> {
  const warnings: Record<string, number> = {};
  const logger = createJsonLogger((level, line) => {
    if (progress && (line.includes('"sync run progress"') || level !== "info")) progress(line);
    if (level === "info") return;
    const message = String((JSON.parse(line) as { message?: unknown; msg?: unknown }).message ?? "unknown");
    warnings[message] = (warnings[message] ?? 0) + 1;
  });
  const service = await createService(loadSettings(env), { logger });
  const busyMs = timePorts(service);
  const portalReads = countPortalReads(service);
  const before = { ...service.tables.counters };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await service.runSync(env[BENCH_CONFIG_SETTING] ?? CONFIG_ID, { trigger: "timer" });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const after = service.tables.counters;
  const diff = (k: keyof typeof after) => after[k] - before[k];
  const tableOps: TableOps = {
    reads: diff("reads"),
    writes: diff("writes"),
    queries: diff("queries"),
    transactions: diff("transactions"),
    entitiesInTransactions: diff("entitiesInTransactions"),
    entitiesWritten: diff("entitiesInTransactions") + diff("writes"),
    bytesWritten: diff("bytesWritten"),
    total: diff("reads") + diff("writes") + diff("queries") + diff("transactions"),
  };
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    tableOps,
    status: result.status,
    counts: result.counts,
    conflicts: result.conflicts,
    errorCount: result.errorCount,
    errorCodes: [...new Set(result.errors.map((e) => e.code))],
    notes: result.notes,
    warnings,
    busyMs,
    privacy: {
      portalRowsRead: portalReads.rows,
      portalPersonalCellsRead: portalReads.cells,
      ...(await personalDataAtRest(env.AzureWebJobsStorage ?? "", service)),
    },
  };
}

/** Records a side had to change: what the minimum counts batches for. */
export const changesOf = (counts: SideCounts) => counts.created + counts.updated + counts.deleted;

/** Two consecutive runs of one scenario as one: times and operations add up, memory is the larger peak. */
export function combine(a: RunMeasurement, b: RunMeasurement): RunMeasurement {
  const add = <T extends object>(x: T, y: T): T =>
    Object.fromEntries(Object.entries(x).map(([k, v]) => [k, typeof v === "number" ? v + ((y as Record<string, number>)[k] ?? 0) : v])) as T;
  const warnings = { ...a.warnings };
  for (const [k, v] of Object.entries(b.warnings)) warnings[k] = (warnings[k] ?? 0) + v;
  return {
    wallMs: a.wallMs + b.wallMs,
    cpuMs: a.cpuMs + b.cpuMs,
    maxRssMB: Math.max(a.maxRssMB, b.maxRssMB),
    tableOps: add(a.tableOps, b.tableOps),
    status: b.status,
    counts: { meander: add(a.counts.meander, b.counts.meander), portal: add(a.counts.portal, b.counts.portal) },
    conflicts: { ...add(a.conflicts, b.conflicts), open: b.conflicts.open },
    errorCount: a.errorCount + b.errorCount,
    errorCodes: [...new Set([...a.errorCodes, ...b.errorCodes])],
    notes: [...a.notes, ...b.notes],
    warnings,
    busyMs: add(a.busyMs, b.busyMs),
    privacy: {
      ...add(a.privacy, b.privacy),
      personalCellsAtRest: b.privacy.personalCellsAtRest,
      personalCellsInOpenReviews: b.privacy.personalCellsInOpenReviews,
      linkEntities: b.privacy.linkEntities,
      linkPartitionsRead: b.privacy.linkPartitionsRead,
    },
  };
}
