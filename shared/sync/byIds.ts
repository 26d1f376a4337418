/** Reading records by id, where a missing record may mean a deletion. */
import type { Side, SideRecord } from "../core/types.js";
import { type RunContext, sideOf } from "./context.js";

/**
 * Records re-read by id (ledger entries, decided conflicts). An id missing from a multi-id
 * answer is not taken as deleted: each is read again on its own, and only a read of that one
 * id answering "not found" counts as a deletion.
 */
export async function readByIds(ctx: RunContext, side: Side, ids: readonly string[]): Promise<{ records: SideRecord[]; gone: string[] }> {
  if (ids.length === 0) return { records: [], gone: [] };
  const { port, entity } = sideOf(ctx, side);
  const records = await port.getByIds(entity, ids);
  const found = new Set(records.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (ids.length === 1 || missing.length === 0) return { records, gone: missing };
  const again = await Promise.all(missing.map((id) => port.getByIds(entity, [id])));
  const gone: string[] = [];
  missing.forEach((id, i) => {
    const [record] = again[i] ?? [];
    if (record) records.push(record);
    else gone.push(id);
  });
  return { records, gone };
}
