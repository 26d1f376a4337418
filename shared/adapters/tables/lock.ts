/**
 * The per-config lease row (partition `lock`, row configId): the owner run id, the
 * expiry and the config's control state (cursors, ledger size). Every change is
 * conditional, so exactly one of several racing triggers wins: insert-if-absent for
 * the first run ever, replace with `If-Match` the old ETag for a free or expired
 * lease. Renewals and releases carry the control state in the same conditional write,
 * so a run that lost its lease can never move a cursor. A crashed run's lease expires.
 *
 * The row is kept on release (expiry set to now): it is where the cursors live.
 * Expiry is judged against the row's own `expiresAt` with the injected clock.
 */
import { odata } from "@azure/data-tables";
import type { Clock, ConfigControl, Lease, LockStore } from "../../ports.js";
import type { ResilienceEvents } from "../../resilience.js";
import type { Entity, StoredEntity, TableAccess } from "./access.js";
import { encodeKey, key } from "./keys.js";
import { getJson, putJson, str } from "./props.js";

const PARTITION = "lock";
/** Bounded: each round means another run changed the row between our read and write. */
const MAX_ROUNDS = 5;

const controlOf = (entity: StoredEntity | undefined): ConfigControl | undefined => (entity ? getJson<ConfigControl>(entity, "control") : undefined);

/** The control state as (possibly split) text; the part count is always written, since renewals merge. */
function withControl(entity: Entity, control: ConfigControl | undefined): Entity {
  if (!control) return entity;
  putJson(entity, "control", control);
  entity["control_parts"] ??= 1;
  return entity;
}

export function createLockStore(table: TableAccess, clock: Clock, events?: ResilienceEvents): LockStore {
  const rowKey = (configId: string) => key(encodeKey(configId));
  const row = (configId: string, runId: string, expiresAt: Date, control?: ConfigControl): Entity =>
    withControl(
      { partitionKey: PARTITION, rowKey: rowKey(configId), configId, runId, leasedAt: clock.now().toISOString(), expiresAt: expiresAt.toISOString() },
      control,
    );
  const released = (entity: Entity): Entity => ({ ...entity, released: true });
  const held = (entity: Entity): Entity => ({ ...entity, released: false });

  /**
   * A conditional merge on our lease row. A 412 can be our own earlier attempt, applied but
   * with its reply lost and retried: the row still names our run (no other run writes our
   * run id), so the write is made again on the row's current ETag.
   */
  async function mergeOwned(entity: Entity, lease: Lease) {
    const first = await table.tryMerge(entity, lease.etag);
    if (first.ok || first.status !== 412) return first;
    const current = await table.get(PARTITION, entity.rowKey);
    if (!current || str(current["runId"]) !== lease.runId || current["released"] === true) return first;
    events?.onRetry?.(1, 0, "LEASE_ROW_CHANGED");
    return table.tryMerge(entity, current.etag);
  }

  /** The config's row, and its peers' control state in the same request (one query of the few lock rows). */
  async function readRows(configId: string, peers: readonly string[]) {
    const others = peers.filter((p) => p !== configId);
    if (others.length === 0) return { current: await table.get(PARTITION, rowKey(configId)), peers: undefined };
    const rowKeys = [configId, ...others].map(rowKey);
    const filter = `${odata`PartitionKey eq ${PARTITION}`} and (${rowKeys.map((k) => odata`RowKey eq ${k}`).join(" or ")})`;
    let current: StoredEntity | undefined;
    const found: Record<string, ConfigControl> = {};
    for await (const entity of table.query(filter)) {
      if (entity.rowKey === rowKey(configId)) current = entity;
      else {
        const peer = others.find((p) => rowKey(p) === entity.rowKey);
        if (peer !== undefined) found[peer] = controlOf(entity) ?? {};
      }
    }
    return { current, peers: found };
  }

  return {
    async acquire(configId, runId, leaseMs, peerIds = []) {
      for (let round = 0; ; round++) {
        const expiresAt = new Date(clock.now().getTime() + leaseMs);
        const { current, peers } = await readRows(configId, peerIds);
        const withPeers = peers ? { peers } : {};
        if (!current) {
          const created = await table.tryCreate(held(row(configId, runId, expiresAt, {})));
          if (created.ok) return { acquired: true, lease: { configId, runId, expiresAt, etag: created.value }, control: {}, ...withPeers };
          if (round >= MAX_ROUNDS) return { acquired: false, heldBy: "", expiresAt: clock.now() };
          continue; // another run created it first: look again
        }
        const heldBy = str(current["runId"]) ?? "";
        const heldUntil = new Date(str(current["expiresAt"]) ?? 0);
        if (heldUntil.getTime() > clock.now().getTime() || round >= MAX_ROUNDS) {
          return { acquired: false, heldBy, expiresAt: heldUntil };
        }
        const control = controlOf(current) ?? {};
        const taken = await table.tryReplace(held(row(configId, runId, expiresAt, control)), current.etag);
        if (taken.ok) {
          const crashed = current["released"] === false && heldBy ? { tookOverFrom: heldBy } : {};
          return { acquired: true, lease: { configId, runId, expiresAt, etag: taken.value }, control, ...crashed, ...withPeers };
        }
        // 412: another run took it over first. Look again.
      }
    },

    async renew(lease, leaseMs, control) {
      const expiresAt = new Date(clock.now().getTime() + leaseMs);
      // Merge keeps the stored control state when none is given.
      const renewed = await mergeOwned(row(lease.configId, lease.runId, expiresAt, control), lease);
      return renewed.ok ? { ...lease, expiresAt, etag: renewed.value } : undefined;
    },

    async release(lease: Lease, control) {
      return (await mergeOwned(released(row(lease.configId, lease.runId, clock.now(), control)), lease)).ok;
    },

    async readControl(configId) {
      return controlOf(await table.get(PARTITION, rowKey(configId)));
    },
  };
}
