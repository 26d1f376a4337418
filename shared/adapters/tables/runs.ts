/**
 * Run records. Partition = configId; row = inverted start time + `_` + runId, so
 * a partition query yields newest first and two runs in one millisecond differ by
 * run id. `getRun` works by run id alone through an index row `~run_<runId>` that
 * points at the run's row; both rows are written in one transaction. Index rows
 * sort after every run row (`~` follows the digits), so listing stops before them.
 *
 * The whole `SyncRun` is stored as JSON; status, trigger, times and counts are
 * also columns so operators can filter in Storage Explorer or the portal.
 */
import type { TransactionAction } from "@azure/data-tables";
import { odata } from "@azure/data-tables";
import type { SyncRun } from "../../core/types.js";
import { FatalError } from "../../errors.js";
import type { RunStore } from "../../ports.js";
import type { Entity, TableAccess } from "./access.js";
import { encodeKey, invertedTime, key } from "./keys.js";
import { defined, getJson, putJson, str } from "./props.js";

/** Budget for the run's JSON: far below the 1 MiB entity limit, leaving room for the columns. */
export const RUN_JSON_BUDGET = 200_000;

const INDEX = "~run_";

function runRowKey(run: Pick<SyncRun, "startedAt" | "runId">): string {
  const started = Date.parse(run.startedAt);
  if (Number.isNaN(started)) throw new FatalError("TABLES_BAD_RUN", `run ${run.runId}: startedAt is not an ISO time`);
  return key(invertedTime(started), "_", encodeKey(run.runId));
}

/**
 * The run as stored: errors beyond what fits the budget are dropped from the tail
 * (`errorCount` keeps the true number) and a note says so.
 */
export function fitRun(run: SyncRun, budget = RUN_JSON_BUDGET): SyncRun {
  const errorCount = Math.max(run.errorCount, run.errors.length);
  const full = { ...run, errorCount };
  if (JSON.stringify(full).length <= budget) return full;
  const withErrors = (kept: number, extra: Partial<SyncRun> = {}): SyncRun => ({
    ...full,
    ...extra,
    errors: run.errors.slice(0, kept),
    notes: [...(extra.notes ?? run.notes), `errors truncated for storage: kept ${kept} of ${errorCount}`],
  });
  let base: Partial<SyncRun> = {};
  if (JSON.stringify(withErrors(0)).length > budget) {
    // Even without errors it does not fit: a dry run's plan is the only other thing that grows.
    base = { plan: undefined, notes: [...run.notes.slice(0, 50), "plan dropped for storage: too large"] };
  }
  let low = 0;
  let high = run.errors.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (JSON.stringify(withErrors(mid, base)).length <= budget) low = mid;
    else high = mid - 1;
  }
  return withErrors(low, base);
}

function toEntity(pk: string, run: SyncRun): Entity {
  const stored = fitRun(run);
  const entity: Entity = {
    partitionKey: pk,
    rowKey: runRowKey(run),
    ...defined({
      configId: run.configId,
      runId: run.runId,
      trigger: run.trigger,
      status: run.status,
      dryRun: run.dryRun,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      durationMs: run.durationMs,
      errorCount: stored.errorCount,
      errorsStored: stored.errors.length,
      conflictsFound: run.conflicts.found,
      conflictsOpen: run.conflicts.open,
      ledgerSize: run.ledger.size,
    }),
  };
  for (const [side, counts] of Object.entries(run.counts)) {
    for (const [name, value] of Object.entries(counts)) entity[`${side}${name[0]?.toUpperCase()}${name.slice(1)}`] = value;
  }
  putJson(entity, "run", stored);
  return entity;
}

export function createRunStore(table: TableAccess): RunStore {
  const indexRow = (pk: string, runId: string): Entity => ({ partitionKey: pk, rowKey: key(INDEX, encodeKey(runId)), runId, runKey: "" });

  return {
    async saveRun(run) {
      const pk = key(encodeKey(run.configId));
      const entity = toEntity(pk, run);
      const index = { ...indexRow(pk, run.runId), runKey: entity.rowKey };
      const actions: TransactionAction[] = [
        ["upsert", entity, "Replace"],
        ["upsert", index, "Replace"],
      ];
      await table.submit(actions);
    },

    async listRuns(configId, limit) {
      const runs: SyncRun[] = [];
      if (limit <= 0) return runs;
      const filter = odata`PartitionKey eq ${encodeKey(configId)} and RowKey lt ${INDEX}`;
      for await (const entity of table.query(filter, { limit })) {
        const run = getJson<SyncRun>(entity, "run");
        if (run) runs.push(run);
      }
      return runs;
    },

    async getRun(configId, runId) {
      const pk = encodeKey(configId);
      const index = await table.get(pk, key(INDEX, encodeKey(runId)));
      const runKey = str(index?.["runKey"]);
      if (!runKey) return undefined;
      const entity = await table.get(pk, runKey);
      return entity ? getJson<SyncRun>(entity, "run") : undefined;
    },

    async purgeRuns(configId, before) {
      const pk = encodeKey(configId);
      // Started before `before` means started at or before one millisecond earlier: a larger inverted time.
      const filter = odata`PartitionKey eq ${pk} and RowKey ge ${invertedTime(before.getTime() - 1)} and RowKey lt ${INDEX}`;
      const rows: { partitionKey: string; rowKey: string }[] = [];
      let count = 0;
      for await (const entity of table.query(filter, { select: ["RowKey", "runId"] })) {
        const runId = str(entity["runId"]);
        rows.push({ partitionKey: pk, rowKey: entity.rowKey ?? "" });
        if (runId) rows.push({ partitionKey: pk, rowKey: key(INDEX, encodeKey(runId)) });
        count++;
      }
      await table.deleteMany(rows);
      return count;
    },
  };
}
