/**
 * The retry ledger and conflicts: one partition per config in each table.
 * (Cursors live on the config's lease row: see lock.ts.)
 * - ledger: row = `<side>:<recordId>`; the error as columns (kind, code, status, message);
 *   `waitingFor` (JSON) the lookup targets a waiting record needs (config and Meander id).
 * - conflicts: row = conflictId; the whole record as JSON plus queryable columns.
 */
import { odata, type TransactionAction } from "@azure/data-tables";
import type { Side } from "../../core/types.js";
import type { SyncErrorInfo } from "../../errors.js";
import type { ConflictRecord, ConflictStore, LedgerEntry, LedgerStore, LookupTarget } from "../../ports.js";
import type { Entity, StoredEntity, TableAccess } from "./access.js";
import { encodeKey, key } from "./keys.js";
import { defined, getJson, num, putJson, putText, str } from "./props.js";

const partitionOf = (configId: string) => key(encodeKey(configId));

const ledgerRow = (key_: { side: Side; recordId: string }) => key(key_.side, ":", encodeKey(key_.recordId));

export function createLedgerStore(table: TableAccess): LedgerStore {
  const fromEntity = (row: StoredEntity): LedgerEntry => {
    const lastError: SyncErrorInfo = {
      kind: (str(row["errorKind"]) ?? "record") as SyncErrorInfo["kind"],
      code: str(row["errorCode"]) ?? "UNKNOWN",
      message: str(row["errorMessage"]) ?? "",
      ...defined({ status: num(row["errorStatus"]) }),
    };
    return {
      side: str(row["side"]) as Side,
      recordId: str(row["recordId"]) ?? "",
      attempts: num(row["attempts"]) ?? 0,
      firstFailedAt: str(row["firstFailedAt"]) ?? "",
      lastFailedAt: str(row["lastFailedAt"]) ?? "",
      lastError,
      ...defined({ transientRuns: num(row["transientRuns"]), waitingFor: getJson<LookupTarget[]>(row, "waitingFor") }),
    };
  };
  return {
    async listLedger(configId) {
      const entries: LedgerEntry[] = [];
      for await (const row of table.query(odata`PartitionKey eq ${partitionOf(configId)}`)) entries.push(fromEntity(row));
      return entries;
    },
    async putLedger(configId, entries) {
      const pk = partitionOf(configId);
      const actions = entries.map((e): TransactionAction => {
        const entity: Entity = {
          partitionKey: pk,
          rowKey: ledgerRow(e),
          ...defined({
            side: e.side,
            recordId: e.recordId,
            attempts: e.attempts,
            firstFailedAt: e.firstFailedAt,
            lastFailedAt: e.lastFailedAt,
            errorKind: e.lastError.kind,
            errorCode: e.lastError.code,
            errorStatus: e.lastError.status,
            transientRuns: e.transientRuns,
          }),
        };
        // Error messages are ours (free of personal data) but unbounded in length.
        putText(entity, "errorMessage", e.lastError.message.slice(0, 4_000));
        if (e.waitingFor?.length) putJson(entity, "waitingFor", e.waitingFor);
        return ["upsert", entity, "Replace"];
      });
      await table.submit(actions);
    },
    async deleteLedger(configId, keys) {
      const pk = partitionOf(configId);
      await table.deleteMany(keys.map((k) => ({ partitionKey: pk, rowKey: ledgerRow(k) })));
    },
  };
}

export function createConflictStore(table: TableAccess): ConflictStore {
  return {
    async listConflicts(configId, status) {
      const pk = partitionOf(configId);
      const filter = status ? odata`PartitionKey eq ${pk} and status eq ${status}` : odata`PartitionKey eq ${pk}`;
      const conflicts: ConflictRecord[] = [];
      for await (const row of table.query(filter)) {
        const record = getJson<ConflictRecord>(row, "record");
        if (record) conflicts.push(record);
      }
      return conflicts;
    },
    async getConflict(configId, conflictId) {
      const row = await table.get(partitionOf(configId), key(encodeKey(conflictId)));
      return row ? getJson<ConflictRecord>(row, "record") : undefined;
    },
    async putConflicts(configId, conflicts) {
      const pk = partitionOf(configId);
      const actions = conflicts.map((c): TransactionAction => {
        const entity: Entity = {
          partitionKey: pk,
          rowKey: key(encodeKey(c.conflictId)),
          ...defined({
            status: c.status,
            kind: c.kind,
            meanderId: c.meanderId,
            portalId: c.portalId,
            detectedAt: c.detectedAt,
            resolvedAt: c.resolution?.resolvedAt,
            appliedAt: c.resolution?.appliedAt,
          }),
        };
        putJson(entity, "record", c);
        return ["upsert", entity, "Replace"];
      });
      await table.submit(actions);
    },
    async purgeConflicts(configId, before) {
      const pk = partitionOf(configId);
      const cutoff = before.toISOString();
      const old: { partitionKey: string; rowKey: string }[] = [];
      for await (const row of table.query(odata`PartitionKey eq ${pk} and status eq ${"resolved"} and resolvedAt lt ${cutoff}`)) {
        old.push({ partitionKey: pk, rowKey: String(row.rowKey) });
      }
      if (old.length) await table.deleteMany(old);
      return old.length;
    },
  };
}
