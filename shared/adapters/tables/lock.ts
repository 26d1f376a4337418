/**
 * The per-config lease: one row (partition `lock`, row configId) holding the owner
 * run id and the expiry. Every change is conditional, so exactly one of several
 * racing triggers wins: insert-if-absent for a free lease, replace with `If-Match`
 * the old ETag for an expired one. A crashed run's lease simply expires.
 *
 * Expiry is judged against the row's own `expiresAt` with the injected clock.
 */
import type { Clock, Lease, LockStore } from "../../ports.js";
import type { Entity, TableAccess } from "./access.js";
import { encodeKey, key } from "./keys.js";
import { str } from "./props.js";

const PARTITION = "lock";
/** Bounded: each round means another run changed the row between our read and write. */
const MAX_ROUNDS = 5;

export function createLockStore(table: TableAccess, clock: Clock): LockStore {
  const row = (configId: string, runId: string, expiresAt: Date): Entity => ({
    partitionKey: PARTITION,
    rowKey: key(encodeKey(configId)),
    configId,
    runId,
    leasedAt: clock.now().toISOString(),
    expiresAt: expiresAt.toISOString(),
  });

  return {
    async acquire(configId, runId, leaseMs) {
      for (let round = 0; ; round++) {
        const expiresAt = new Date(clock.now().getTime() + leaseMs);
        const entity = row(configId, runId, expiresAt);
        const created = await table.tryCreate(entity);
        if (created.ok) return { acquired: true, lease: { configId, runId, expiresAt, etag: created.value } };

        const current = await table.get(PARTITION, entity.rowKey);
        if (!current) {
          // Released between our insert and our read: insert again.
          if (round >= MAX_ROUNDS) return { acquired: false, heldBy: "", expiresAt: clock.now() };
          continue;
        }
        const heldBy = str(current["runId"]) ?? "";
        const heldUntil = new Date(str(current["expiresAt"]) ?? 0);
        if (heldUntil.getTime() > clock.now().getTime() || round >= MAX_ROUNDS) {
          return { acquired: false, heldBy, expiresAt: heldUntil };
        }
        const taken = await table.tryReplace(entity, current.etag);
        if (taken.ok) return { acquired: true, lease: { configId, runId, expiresAt, etag: taken.value } };
        // 412: another run took it over first; 404: released. Look again.
      }
    },

    async renew(lease, leaseMs) {
      const expiresAt = new Date(clock.now().getTime() + leaseMs);
      const renewed = await table.tryReplace(row(lease.configId, lease.runId, expiresAt), lease.etag);
      return renewed.ok ? { ...lease, expiresAt, etag: renewed.value } : undefined;
    },

    async release(lease: Lease) {
      await table.tryDelete(PARTITION, key(encodeKey(lease.configId)), lease.etag);
    },
  };
}
