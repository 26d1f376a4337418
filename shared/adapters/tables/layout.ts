/**
 * The link partitions per config are part of the stored layout: a link is found in the
 * partition its key hashes to, so a table's count must never change under its links. The
 * links table records its count in one row (`~layout`/`links`, no personal data), written
 * when the table is first used. A table that already holds links but no such row was
 * written by a version that always used LEGACY_LINK_BUCKETS, and keeps it.
 *
 * Why a fresh table gets more partitions than before: Azurite (the local stack, the test
 * suite and the benchmark) finds a row by scanning its partition, so each write costs in
 * proportion to the partition's size; at 50,000 people per side (120,000 entities) 16
 * partitions made Table writes most of a first run (bench/README.md). On Azure the count
 * matters little above 10 (README.md in this folder).
 */
import { FatalError } from "../../errors.js";
import type { TableAccess } from "./access.js";

/** What versions before the layout row always used. */
export const LEGACY_LINK_BUCKETS = 16;

/** The layout row's partition: `~` never appears in an encoded config id, so no link shares it. */
export const LAYOUT_PARTITION = "~layout";
export const LAYOUT_ROW = "links";
const PK = LAYOUT_PARTITION;
const RK = LAYOUT_ROW;

/** The table's link partitions per config: the recorded count, else the legacy one for a table with links, else `fresh` (recorded now). */
export async function linkBucketsOf(table: TableAccess, fresh: number): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const recorded = await table.get(PK, RK);
    if (recorded) {
      const buckets = Number(recorded["buckets"]);
      if (!Number.isInteger(buckets) || buckets < 1 || buckets > 100)
        throw new FatalError("TABLES_LAYOUT_INVALID", `table ${table.name}: the layout row's buckets is not an integer from 1 to 100`);
      return buckets;
    }
    let hasLinks = false;
    for await (const _ of table.query(`PartitionKey ne '${PK}'`, { select: ["PartitionKey"], limit: 1 })) hasLinks = true;
    const buckets = hasLinks ? LEGACY_LINK_BUCKETS : fresh;
    // Two instances starting at once: the first insert wins and the other reads its row.
    const created = await table.tryCreate({ partitionKey: PK, rowKey: RK, buckets });
    if (created.ok) return buckets;
  }
  throw new FatalError("TABLES_LAYOUT_UNREADABLE", `table ${table.name}: the layout row could neither be read nor written`);
}
