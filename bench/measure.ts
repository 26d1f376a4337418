/**
 * One run of the real service (`createService(...).runSync`, the path the timer takes),
 * measured from inside the process that runs it: wall time, CPU time, peak RSS and the
 * Table Storage operations of the run itself (table creation at start-up, once per
 * process in Azure Functions, is left out).
 */
import { createService } from "../shared/composition.js";
import { loadSettings } from "../shared/config/settings.js";
import type { SideCounts, SyncResult } from "../shared/core/types.js";
import { createJsonLogger } from "../shared/logging.js";
import { CONFIG_ID } from "./params.js";

export interface TableOps {
  readonly reads: number;
  readonly writes: number;
  readonly queries: number;
  readonly transactions: number;
  readonly entitiesInTransactions: number;
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
}

export async function measureRun(env: Record<string, string>): Promise<RunMeasurement> {
  const warnings: Record<string, number> = {};
  const logger = createJsonLogger((level, line) => {
    if (level === "info") return;
    const message = String((JSON.parse(line) as { message?: unknown; msg?: unknown }).message ?? "unknown");
    warnings[message] = (warnings[message] ?? 0) + 1;
  });
  const service = await createService(loadSettings(env), { logger });
  try {
    const before = { ...service.tables.counters };
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await service.runSync(CONFIG_ID, { trigger: "timer" });
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
    };
  } finally {
    await service.close();
  }
}

/** Records a side had to change: what the minimum counts batches for. */
export const changesOf = (counts: SideCounts) => counts.created + counts.updated + counts.deleted;
