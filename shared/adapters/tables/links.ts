/**
 * Links. A link is one entity, `m:<meanderId>`, with the pair, versions and baseline
 * fingerprints; `p:<portalId>` is an index row holding only the partner's Meander id, so a
 * lookup by portal id is two point reads and the link is stored once. (Links written
 * before kept the whole link in the `p:` row too: such a row is still read as a link, and
 * becomes an index row when the link is next written.)
 *
 * Partitioning: a config's rows are spread over `buckets` partitions
 * (`<configId>~<bucket>`, the bucket a stable hash of the row key). One partition
 * serialises its writes (Azure's target: 2,000 entities/s per partition); bench/
 * tables.ts measures how much spreading buys (README.md here has the figures). With `buckets` = 1 the partition is
 * the config id itself. The bucket count is part of the stored layout: changing it
 * for existing data needs a migration.
 */
import { odata, type TransactionAction } from "@azure/data-tables";
import type { Link, Side } from "../../core/types.js";
import type { LinkStore } from "../../ports.js";
import type { Entity, StoredEntity, TableAccess } from "./access.js";
import { bucketOf, decodeKey, encodeKey, key } from "./keys.js";
import { defined, getJson, putJson, str } from "./props.js";

const PREFIX: Record<Side, string> = { meander: "m:", portal: "p:" };

export interface LinkLayout {
  /** Partitions per config. */
  readonly buckets: number;
  /** Above this many distinct ids, `getLinks` tries a scan of the config's links before point reads. */
  readonly scanThreshold?: number;
  /**
   * Scanned links that cost about one point read. A scan stops once it has read
   * `ids x scanRatio` links (the config is bigger than a scan pays for) and the ids
   * not yet found are point-read: never much worse than point reads alone.
   */
  readonly scanRatio?: number;
}

export const DEFAULT_SCAN_THRESHOLD = 1_000;
export const DEFAULT_SCAN_RATIO = 10;

export function createLinkStore(table: TableAccess, layout: LinkLayout): LinkStore {
  const { scanThreshold = DEFAULT_SCAN_THRESHOLD, scanRatio = DEFAULT_SCAN_RATIO } = layout;
  // Read at each call: the table's recorded layout is learnt at start-up (layout.ts), after the store is made.
  const address = (configId: string, side: Side, id: string) => {
    const rowKey = key(PREFIX[side], encodeKey(id));
    return { partitionKey: key(partitionOf(configId, layout.buckets, bucketOf(rowKey, layout.buckets))), rowKey };
  };

  const toEntity = (configId: string, link: Link): Entity => {
    const entity: Entity = {
      ...address(configId, "meander", link.meanderId),
      ...defined({
        meanderId: link.meanderId,
        portalId: link.portalId,
        meanderVersion: link.meanderVersion,
        portalVersion: link.portalVersion,
        syncedAt: link.syncedAt,
      }),
    };
    putJson(entity, "baseline", link.baseline);
    if (link.parked?.length) putJson(entity, "parked", link.parked);
    if (link.loops && Object.keys(link.loops).length) putJson(entity, "loops", link.loops);
    return entity;
  };

  return {
    async getLinks(configId, refs) {
      const addresses = new Map<string, { partitionKey: string; rowKey: string }>();
      for (const ref of refs) {
        const a = address(configId, ref.side, ref.id);
        addresses.set(`${a.partitionKey}/${a.rowKey}`, a);
      }
      const links = new Map<string, Link>();
      const add = (link: Link | undefined) => link && links.set(JSON.stringify([link.meanderId, link.portalId]), link);
      let toRead = [...addresses.values()];
      if (addresses.size > scanThreshold) {
        const wanted = new Set(toRead.map((a) => a.rowKey));
        const found = new Set<string>();
        let budget = addresses.size * scanRatio;
        await Promise.all(
          linkPartitions(configId, layout.buckets).map(async (pk) => {
            for await (const row of table.query(mRows(pk))) {
              if (budget-- <= 0) return;
              const link = fromEntity(row);
              if (!link) continue;
              const m = `m:${encodeKey(link.meanderId)}`;
              const p = `p:${encodeKey(link.portalId)}`;
              found.add(m).add(p);
              if (wanted.has(m) || wanted.has(p)) add(link);
            }
          }),
        );
        if (budget >= 0) return [...links.values()];
        toRead = toRead.filter((a) => !found.has(a.rowKey));
      }
      // Point reads all in flight: the resilience bulkhead bounds the concurrency.
      const rows = await Promise.all(toRead.map((a) => table.get(a.partitionKey, a.rowKey)));
      const viaIndex = new Map<string, string>();
      for (const [i, row] of rows.entries()) {
        if (!row) continue;
        const link = fromEntity(row);
        if (link) add(link);
        else if (toRead[i]!.rowKey.startsWith(PREFIX.portal)) {
          const meanderId = str(row["meanderId"]);
          if (meanderId !== undefined) viaIndex.set(meanderId, decodeKey(toRead[i]!.rowKey.slice(PREFIX.portal.length)));
        }
      }
      const known = new Set([...links.values()].map((l) => l.meanderId));
      const partners = [...viaIndex.keys()].filter((id) => !known.has(id));
      const linked = await Promise.all(partners.map((id) => address(configId, "meander", id)).map((a) => table.get(a.partitionKey, a.rowKey)));
      for (const row of linked) {
        const link = row && fromEntity(row);
        // An index row left by an earlier partner (the Meander record was coupled again) points nowhere.
        if (link && viaIndex.get(link.meanderId) === link.portalId) add(link);
      }
      return [...links.values()];
    },

    async putLinks(configId, links, options = {}) {
      const actions = links.flatMap((link): TransactionAction[] => {
        const rows = [toEntity(configId, link), { ...address(configId, "portal", link.portalId), meanderId: link.meanderId }];
        return options.fresh?.has(link) ? rows.map((row) => ["create", row]) : rows.map((row) => ["upsert", row, "Replace"]);
      });
      await table.submit(actions);
    },

    async deleteLinks(configId, links) {
      // Only rows that still hold the pair being deleted: a record re-coupled in the same
      // run already has its row rewritten for the new partner, and that row must stay.
      // A row's own key fixes one id of the pair; the partner id it holds tells which pair it is.
      const rows = new Map<string, { partitionKey: string; rowKey: string; partner: "meanderId" | "portalId"; partners: Set<string> }>();
      for (const l of links) {
        const ends = [
          { a: address(configId, "meander", l.meanderId), partner: "portalId" as const, id: l.portalId },
          { a: address(configId, "portal", l.portalId), partner: "meanderId" as const, id: l.meanderId },
        ];
        for (const { a, partner, id } of ends) {
          const row = rows.get(`${a.partitionKey}/${a.rowKey}`) ?? { ...a, partner, partners: new Set<string>() };
          row.partners.add(id);
          rows.set(`${a.partitionKey}/${a.rowKey}`, row);
        }
      }
      const current = await Promise.all([...rows.values()].map((r) => table.get(r.partitionKey, r.rowKey)));
      const doomed = [...rows.values()].filter((r, i) => {
        const partner = current[i] && str(current[i][r.partner]);
        return partner !== undefined && r.partners.has(partner);
      });
      await table.deleteMany(doomed.map(({ partitionKey, rowKey }) => ({ partitionKey, rowKey })));
    },

    async *listLinks(configId) {
      for (const pk of linkPartitions(configId, layout.buckets)) {
        for await (const row of table.query(mRows(pk))) {
          const link = fromEntity(row);
          if (link) yield link;
        }
      }
    },
  };
}

const partitionOf = (configId: string, buckets: number, bucket: number) =>
  buckets <= 1 ? encodeKey(configId) : `${encodeKey(configId)}~${String(bucket).padStart(2, "0")}`;

/**
 * A config's link partitions. Listed one partition at a time: Azurite filters and sorts the whole
 * table for each page of a query, so one query over a big table costs in proportion to its size per page.
 */
export const linkPartitions = (configId: string, buckets: number): string[] =>
  Array.from({ length: Math.max(1, buckets) }, (_, b) => partitionOf(configId, buckets, b));

/** Only the `m:` rows of a partition: each link once. */
const mRows = (pk: string) => odata`PartitionKey eq ${pk} and RowKey ge ${"m:"} and RowKey lt ${"m;"}`;

function fromEntity(row: StoredEntity): Link | undefined {
  const meanderId = str(row["meanderId"]);
  const portalId = str(row["portalId"]);
  if (meanderId === undefined || portalId === undefined) return undefined;
  return {
    meanderId,
    portalId,
    baseline: getJson<Link["baseline"]>(row, "baseline") ?? {},
    ...(getJson<string[]>(row, "parked")?.length ? { parked: getJson<string[]>(row, "parked") } : {}),
    ...(Object.keys(getJson<Link["loops"]>(row, "loops") ?? {}).length ? { loops: getJson<Link["loops"]>(row, "loops") } : {}),
    ...defined({ meanderVersion: str(row["meanderVersion"]), portalVersion: str(row["portalVersion"]), syncedAt: str(row["syncedAt"]) }),
  };
}
