/**
 * The privacy figures of a run: personal-data cells the service read from the portal
 * (records × personal columns present in what came back), and personal-data cells it
 * keeps in Table Storage, read raw from the tables after the run (baseline values in
 * links that are not fingerprints; values in review items, open ones apart since a
 * person needs them to decide).
 */

import { odata, TableClient } from "@azure/data-tables";
import { LAYOUT_PARTITION, LAYOUT_ROW } from "../shared/adapters/tables/layout.js";
import { linkPartitions } from "../shared/adapters/tables/links.js";
import { getJson } from "../shared/adapters/tables/props.js";
import type { ComposedService } from "../shared/composition.js";
import { isFingerprint } from "../shared/core/fingerprint.js";
import type { Canonical, SideRecord } from "../shared/core/types.js";
import type { ConflictRecord } from "../shared/ports.js";
import { PERSONAL_FIELDS, PERSONAL_PORTAL_COLUMNS } from "./params.js";

export interface PrivacyFigures {
  /** Portal rows read and, of their cells, those of personal columns. */
  readonly portalRowsRead: number;
  readonly portalPersonalCellsRead: number;
  /** Personal values in links and resolved review items: the target is 0. */
  readonly personalCellsAtRest: number;
  /** Personal values in open review items (kept until a person resolves them). */
  readonly personalCellsInOpenReviews: number;
  /** Entities in the link partitions read after the run (all of them, unless `linkPartitionsRead` says fewer). */
  readonly linkEntities: number;
  /** Link partitions read after the run, of how many. */
  readonly linkPartitionsRead: { readonly read: number; readonly of: number };
}

/**
 * Azurite answers each page of a query by running its filter over every entity of the table (an
 * interpreted filter), so reading 480,000 links costs it minutes. Beyond this many links the scan
 * stops after the partition that reaches it: whole partitions, a sample of the config's links.
 */
const SCAN_LINKS = 60_000;

const personalCells = (record: SideRecord) => PERSONAL_PORTAL_COLUMNS.filter((c) => Object.hasOwn(record.data, c)).length;

/** Wraps the portal side's reads in place to count what they return; the run itself is untouched. */
export function countPortalReads(service: ComposedService): { rows: number; cells: number } {
  const counts = { rows: 0, cells: 0 };
  const side = service.sides.portal as unknown as Record<string, (...args: unknown[]) => unknown>;
  const add = (records: readonly SideRecord[]) => {
    counts.rows += records.length;
    for (const r of records) counts.cells += personalCells(r);
  };
  const readChanges = side.readChanges!.bind(side);
  side.readChanges = (...args: unknown[]) =>
    (async function* () {
      for await (const page of readChanges(...args) as AsyncIterable<{ records: readonly SideRecord[] }>) {
        // A record the feed hands over narrow (no mapped columns yet) is counted once, by the read of it by id.
        add(page.records.filter((r) => !r.narrow));
        yield page;
      }
    })();
  for (const name of ["getByIds", "findByField"]) {
    const original = side[name]!.bind(side);
    side[name] = async (...args: unknown[]) => {
      const records = (await original(...args)) as SideRecord[];
      add(records);
      return records;
    };
  }
  return counts;
}

const isPersonal = (field: string, value: unknown) =>
  (PERSONAL_FIELDS as readonly string[]).includes(field) && value !== null && value !== undefined && value !== "";

export async function personalDataAtRest(
  connectionString: string,
  service: ComposedService,
): Promise<Omit<PrivacyFigures, "portalRowsRead" | "portalPersonalCellsRead">> {
  const client = (name: string) => TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  let atRest = 0;
  let open = 0;
  let linkEntities = 0;
  const links = client(service.tables.tableNames.links);
  // Every partition of every config, one at a time (linkPartitions); the table's layout row (its partitions per config) is no link.
  const buckets = Number((await links.getEntity(LAYOUT_PARTITION, LAYOUT_ROW))["buckets"]);
  const partitions = [...service.deps.configs.keys()].flatMap((configId) => linkPartitions(configId, buckets));
  let read = 0;
  for (const pk of partitions) {
    if (linkEntities >= SCAN_LINKS) break;
    read += 1;
    for await (const row of links.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } })) {
      linkEntities += 1;
      const baseline = getJson<Canonical>(row, "baseline") ?? {};
      for (const [field, value] of Object.entries(baseline)) if (isPersonal(field, value) && !isFingerprint(value)) atRest += 1;
    }
  }
  for await (const row of client(service.tables.tableNames.conflicts).listEntities<Record<string, unknown>>()) {
    const record = getJson<ConflictRecord>(row, "record");
    if (!record) continue;
    let cells = 0;
    for (const f of record.fields) for (const v of [f.base, f.meander, f.portal]) if (isPersonal(f.field, v)) cells += 1;
    for (const [field, value] of Object.entries(record.resolution?.values ?? {})) if (isPersonal(field, value)) cells += 1;
    if (record.status === "open") open += cells;
    else atRest += cells;
  }
  return { personalCellsAtRest: atRest, personalCellsInOpenReviews: open, linkEntities, linkPartitionsRead: { read, of: partitions.length } };
}
