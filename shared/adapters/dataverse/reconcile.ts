/**
 * A batch whose answer was lost (deadline, connection dropped) may or may not
 * have been applied. Sending it again would repeat writes, and a create without
 * a key would make a second record. So we read back what the batch touched and
 * settle each op: applied (its values are there), or still to send.
 */
import type { SideRecord } from "../../core/types.js";
import { TransientError } from "../../errors.js";
import type { WriteOp } from "../../ports.js";
import type { DataverseClient } from "./client.js";
import { type EntitySettings, readWhere } from "./read.js";

export type Settled =
  | { readonly ok: true; readonly id: string; readonly version?: string }
  | { readonly ok: false; readonly error: TransientError }
  | { readonly resend: true };

/** Columns we can compare; lookups (`x@odata.bind`) are written under another name. */
const comparable = (data: Readonly<Record<string, unknown>>) => Object.entries(data).filter(([key]) => !key.includes("@"));

const same = (a: unknown, b: unknown) =>
  a === b || (a == null && b == null) || (typeof a === "object" && a !== null && JSON.stringify(a) === JSON.stringify(b));

function holds(record: SideRecord | undefined, data: Readonly<Record<string, unknown>>): boolean {
  return record !== undefined && comparable(data).every(([key, value]) => same(record.data[key], value));
}

const keyOf = (op: WriteOp): { field: string; value: string } | undefined => (op.op === "create" ? (op.upsertKey ?? undefined) : undefined);

export async function reconcile(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  pageSize: number,
): Promise<Settled[]> {
  const columns = [...new Set(ops.flatMap((op) => (op.op === "delete" ? [] : comparable(op.data).map(([key]) => key))))];
  const ids = ops.flatMap((op) => (op.op === "create" ? [] : [op.id]));
  const byId = new Map((await readWhere(client, collection, entity, entity.idField, ids, { pageSize, select: columns })).map((r) => [r.id, r]));
  const byKey = new Map<string, SideRecord>();
  const keyed = ops.map(keyOf).filter((k): k is { field: string; value: string } => k !== undefined);
  for (const field of new Set(keyed.map((k) => k.field))) {
    const values = keyed.filter((k) => k.field === field).map((k) => k.value);
    const found = await readWhere(client, collection, entity, field, values, { pageSize, select: [...columns, field] });
    for (const record of found) byKey.set(`${field}\u0000${String(record.data[field]).toLowerCase()}`, record);
  }
  return ops.map((op): Settled => {
    if (op.op === "delete") return byId.has(op.id) ? { resend: true } : { ok: true, id: op.id };
    if (op.op === "update") {
      const record = byId.get(op.id);
      return holds(record, op.data) ? { ok: true, id: op.id, ...(record?.version ? { version: record.version } : {}) } : { resend: true };
    }
    const key = keyOf(op);
    if (!key) {
      // Nothing identifies the record a lost create may have made: not sent again. The
      // ledger retries it, and by then the match keys find the record if it exists.
      return { ok: false, error: new TransientError("AMBIGUOUS_CREATE", `create ${collection} (ref ${op.ref}): answer lost, not sent again`) };
    }
    const record = byKey.get(`${key.field}\u0000${key.value.toLowerCase()}`);
    return record && holds(record, op.data) ? { ok: true, id: record.id, ...(record.version ? { version: record.version } : {}) } : { resend: true };
  });
}
