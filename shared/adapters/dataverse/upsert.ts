/**
 * Creates that must not duplicate a record: by alternate key in the URL where
 * Dataverse can take the value there, else by a lookup first ($filter takes any
 * value) and then an update of the match or a create that sets the key column.
 */
import { RecordError } from "../../errors.js";
import type { WriteOp, WriteOutcome } from "../../ports.js";
import type { DataverseClient } from "./client.js";
import { alternateKeySegment } from "./odata.js";
import { type EntitySettings, readWhere } from "./read.js";

type Create = Extract<WriteOp, { op: "create" }>;

/** The `key='value'` segment when this create can be an upsert by the entity's alternate key. */
export function keySegment(op: Create, entity: EntitySettings): string | undefined {
  const key = op.upsertKey;
  if (!key || !entity.alternateKey || entity.alternateKey.toLowerCase() !== key.field.toLowerCase()) return undefined;
  return alternateKeySegment(entity.alternateKey, key.value);
}

const needsLookup = (op: WriteOp, entity: EntitySettings): op is Create & { upsertKey: NonNullable<Create["upsertKey"]> } =>
  op.op === "create" && op.upsertKey !== undefined && keySegment(op, entity) === undefined;

/**
 * Turns creates whose key cannot go in a URL into an update of the one record
 * holding the key value, or a plain create carrying it. Several holders: that
 * record fails (the core parks it), nothing is written.
 */
export async function resolveLookups(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  pageSize: number,
): Promise<{ ops: WriteOp[]; failed: WriteOutcome[] }> {
  const lookups = ops.filter((op) => needsLookup(op, entity));
  if (!lookups.length) return { ops: [...ops], failed: [] };
  const holders = new Map<string, { id: string; value: string }[]>();
  for (const field of new Set(lookups.map((op) => op.upsertKey.field))) {
    const values = lookups.filter((op) => op.upsertKey.field === field).map((op) => op.upsertKey.value);
    const found = await readWhere(client, collection, entity, field, values, { pageSize, select: [field] });
    for (const record of found) {
      const value = record.data[field];
      if (typeof value !== "string") continue;
      // Dataverse compares strings case-insensitively, so does the key.
      const key = `${field.toLowerCase()}\u0000${value.toLowerCase()}`;
      holders.set(key, [...(holders.get(key) ?? []), { id: record.id, value }]);
    }
  }
  const resolved: WriteOp[] = [];
  const failed: WriteOutcome[] = [];
  for (const op of ops) {
    if (!needsLookup(op, entity)) {
      resolved.push(op);
      continue;
    }
    const { field, value } = op.upsertKey;
    const found = holders.get(`${field.toLowerCase()}\u0000${value.toLowerCase()}`) ?? [];
    const [holder] = found;
    if (!holder) resolved.push({ op: "create", ref: op.ref, data: { ...op.data, [field]: value } });
    else if (found.length === 1) {
      // The key column is sent only if it changes (its case), so no value is written unchanged.
      const { [field]: _same, ...rest } = op.data;
      resolved.push({ op: "update", ref: op.ref, id: holder.id, data: holder.value === value ? rest : { ...rest, [field]: value } });
    } else {
      const error = new RecordError("AMBIGUOUS_KEY", `create ${collection} (ref ${op.ref}): ${found.length} records hold its ${field}`);
      failed.push({ ref: op.ref, ok: false, error: error.toInfo() });
    }
  }
  return { ops: resolved, failed };
}
