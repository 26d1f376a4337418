import { TableClient } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import type { Tables } from "../../shared/adapters/tables/index.js";
import type { Link } from "../../shared/core/types.js";
import { freshTables } from "./helpers.js";

const link = (i: number, overrides: Partial<Link> = {}): Link => ({
  meanderId: `lp-${i}`,
  portalId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  baseline: { firstName: `name-${i}`, memberNumber: i, active: i % 2 === 0, phone: null },
  meanderVersion: `v${i}`,
  portalVersion: `W/"${1000 + i}"`,
  syncedAt: "2026-01-01T00:00:00.000Z",
  ...overrides,
});

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe.each([1, 16])("links on Azurite with %i partition(s) per config", (linkBuckets) => {
  it("saves 250 links and reads them back by either side's id", async () => {
    const tables = await freshTables({ linkBuckets });
    const links = Array.from({ length: 250 }, (_, i) => link(i));
    await tables.state.putLinks("cfg", links);
    // 500 rows: more than one transaction even in a single partition.
    expect(tables.counters.transactions).toBeGreaterThanOrEqual(linkBuckets === 1 ? 5 : 16);

    const byMeander = await tables.state.getLinks(
      "cfg",
      links.map((l) => ({ side: "meander", id: l.meanderId })),
    );
    expect(sort(byMeander)).toEqual(sort(links));
    const byPortal = await tables.state.getLinks(
      "cfg",
      links.slice(0, 40).map((l) => ({ side: "portal", id: l.portalId })),
    );
    expect(sort(byPortal)).toEqual(sort(links.slice(0, 40)));
    // Both ids of one link, plus an unknown id: the link appears once, the unknown is absent.
    const mixed = await tables.state.getLinks("cfg", [
      { side: "meander", id: "lp-7" },
      { side: "portal", id: link(7).portalId },
      { side: "portal", id: "nobody" },
    ]);
    expect(mixed).toEqual([link(7)]);
    expect(await tables.state.getLinks("other-config", [{ side: "meander", id: "lp-7" }])).toEqual([]);
  });

  it("answers many ids with a scan and few with point reads, with the same results", async () => {
    const tables = await freshTables({ linkBuckets, linkScanThreshold: 20, pageSize: 50 });
    const links = Array.from({ length: 150 }, (_, i) => link(i));
    await tables.state.putLinks("cfg", links);
    const refs = links.slice(0, 60).map((l, i) => (i % 2 ? { side: "portal" as const, id: l.portalId } : { side: "meander" as const, id: l.meanderId }));

    const reads = tables.counters.reads;
    const queries = tables.counters.queries;
    const scanned = await tables.state.getLinks("cfg", [...refs, { side: "meander", id: "lp-unknown" }]);
    expect(sort(scanned)).toEqual(sort(links.slice(0, 60)));
    expect(tables.counters.reads).toBe(reads);
    expect(tables.counters.queries - queries).toBeGreaterThanOrEqual(linkBuckets === 1 ? 3 : 16);

    const pointRead = await tables.state.getLinks("cfg", refs.slice(0, 20));
    expect(sort(pointRead)).toEqual(sort(links.slice(0, 20)));
    // 10 by Meander id (one read each), 10 by portal id (the index row, then the link).
    expect(tables.counters.reads - reads).toBe(30);
  });

  it("stops a scan that costs more than point reads and point-reads the rest", async () => {
    const tables = await freshTables({ linkBuckets, linkScanThreshold: 20, linkScanRatio: 1, pageSize: 10 });
    const links = Array.from({ length: 150 }, (_, i) => link(i));
    await tables.state.putLinks("cfg", links);
    const wanted = links.filter((_, i) => i % 5 === 0); // 30 links, spread over the key range
    const refs = [...wanted.map((l) => ({ side: "portal" as const, id: l.portalId })), { side: "meander" as const, id: "lp-unknown" }];
    const reads = tables.counters.reads;
    expect(sort(await tables.state.getLinks("cfg", refs))).toEqual(sort(wanted));
    // A budget of 31 links scanned: most of the 150 were never read, so some ids were point-read
    // (two reads each by portal id: index row, then link).
    expect(tables.counters.reads - reads).toBeGreaterThan(0);
    expect(tables.counters.reads - reads).toBeLessThan(2 * 31);
  });

  it("lists every link once across continuation tokens", async () => {
    const tables = await freshTables({ linkBuckets, pageSize: 7 });
    const links = Array.from({ length: 120 }, (_, i) => link(i));
    await tables.state.putLinks("cfg", links);
    const before = tables.counters.queries;
    const listed = await collect(tables.state.listLinks("cfg"));
    expect(sort(listed)).toEqual(sort(links));
    // 120 links over pages of at most 7: at least 18 page requests.
    expect(tables.counters.queries - before).toBeGreaterThanOrEqual(18);
  });

  it("keys ids with / \\ # ? and non-ASCII characters, replaces and deletes links", async () => {
    const tables = await freshTables({ linkBuckets });
    const odd = link(1, { meanderId: "a/b\\c#d?e", portalId: "Østre Ås ✓ 'quoted'" });
    await tables.state.putLinks("cfg/æ", [odd, link(2)]);
    expect(await tables.state.getLinks("cfg/æ", [{ side: "portal", id: odd.portalId }])).toEqual([odd]);
    expect(await tables.state.getLinks("cfg/æ", [{ side: "meander", id: odd.meanderId }])).toEqual([odd]);

    const changed = { ...odd, baseline: { firstName: "changed" }, portalVersion: undefined };
    await tables.state.putLinks("cfg/æ", [changed]);
    const [stored] = await tables.state.getLinks("cfg/æ", [{ side: "meander", id: odd.meanderId }]);
    expect(stored).toEqual({
      meanderId: odd.meanderId,
      portalId: odd.portalId,
      baseline: { firstName: "changed" },
      meanderVersion: "v1",
      syncedAt: odd.syncedAt,
    });

    // Deleting one that exists with one that never did: no error, both rows of the first gone.
    await tables.state.deleteLinks("cfg/æ", [odd, { meanderId: "never", portalId: "stored" }]);
    expect(
      await tables.state.getLinks("cfg/æ", [
        { side: "portal", id: odd.portalId },
        { side: "meander", id: odd.meanderId },
      ]),
    ).toEqual([]);
    expect(await collect(tables.state.listLinks("cfg/æ"))).toEqual([link(2)]);
  });

  it("creates the rows of new pairs; a row that exists after all (a crash after the write) is replaced, not an error", async () => {
    const tables = await freshTables({ linkBuckets });
    const links = Array.from({ length: 30 }, (_, i) => link(i));
    await tables.state.putLinks("cfg", links, { fresh: new Set(links) });
    const firstTransactions = tables.counters.transactions;
    expect(sort(await collect(tables.state.listLinks("cfg")))).toEqual(sort(links));

    // The same pairs again, as a run after a crash would send them: new versions, still marked new.
    const again = links.map((l) => ({ ...l, meanderVersion: `${l.meanderVersion}-2` }));
    await tables.state.putLinks("cfg", again, { fresh: new Set(again) });
    expect(sort(await collect(tables.state.listLinks("cfg")))).toEqual(sort(again));
    // Every transaction was refused (409) and sent again with upserts: twice the first write's.
    expect(tables.counters.transactions - firstTransactions).toBe(2 * firstTransactions);
  });

  it("deleting an old pair keeps the row its record was re-coupled with", async () => {
    const tables = await freshTables({ linkBuckets });
    const old = link(1);
    const recoupled = link(1, { portalId: "new-partner" });
    await tables.state.putLinks("cfg", [old]);
    // The order the engine uses within one run: new links first, then the dropped ones.
    await tables.state.putLinks("cfg", [recoupled]);
    await tables.state.deleteLinks("cfg", [old]);
    expect(await tables.state.getLinks("cfg", [{ side: "meander", id: old.meanderId }])).toEqual([recoupled]);
    expect(await tables.state.getLinks("cfg", [{ side: "portal", id: old.portalId }])).toEqual([]);
    expect(await collect(tables.state.listLinks("cfg"))).toEqual([recoupled]);
  });
});

describe("the links layout", () => {
  const raw = (tables: Tables) =>
    TableClient.fromConnectionString(process.env.AZURITE_CONNECTION_STRING!, tables.tableNames.links, { allowInsecureConnection: true });
  const rows = async (tables: Tables) => {
    const out: Record<string, unknown>[] = [];
    for await (const row of raw(tables).listEntities()) out.push(row);
    return out;
  };

  it("stores a link once: the m: row holds it, the p: row only the partner's Meander id", async () => {
    const tables = await freshTables({ linkBuckets: 4 });
    await tables.state.putLinks("cfg", [link(1), link(2)]);
    const stored = await rows(tables);
    expect(stored).toHaveLength(4);
    const index = stored.filter((r) => String(r.rowKey).startsWith("p:"));
    expect(index.map((r) => r.meanderId).sort()).toEqual(["lp-1", "lp-2"]);
    for (const r of index)
      expect(Object.keys(r).filter((k) => !["partitionKey", "rowKey", "etag", "timestamp", "odata.etag", "odata.metadata"].includes(k))).toEqual(["meanderId"]);
    expect(stored.filter((r) => "baseline" in r)).toHaveLength(2);
  });

  it("still reads a link whose p: row is a whole copy (written before), and rewrites that row as an index row", async () => {
    const tables = await freshTables({ linkBuckets: 4 });
    await tables.state.putLinks("cfg", [link(3)]);
    const client = raw(tables);
    const index = (await rows(tables)).find((r) => String(r.rowKey).startsWith("p:"))!;
    const old = {
      partitionKey: String(index.partitionKey),
      rowKey: String(index.rowKey),
      meanderId: "lp-3",
      portalId: link(3).portalId,
      baseline: JSON.stringify(link(3).baseline),
      meanderVersion: "v3",
      portalVersion: 'W/"1003"',
      syncedAt: link(3).syncedAt,
    };
    await client.upsertEntity(old, "Replace");
    expect(await tables.state.getLinks("cfg", [{ side: "portal", id: link(3).portalId }])).toEqual([link(3)]);
    await tables.state.putLinks("cfg", [link(3)]);
    const rewritten = await client.getEntity<Record<string, unknown>>(old.partitionKey, old.rowKey);
    expect(rewritten.baseline).toBeUndefined();
    expect(rewritten.meanderId).toBe("lp-3");
  });

  it("ignores an index row whose Meander record now links to someone else", async () => {
    const tables = await freshTables({ linkBuckets: 4 });
    await tables.state.putLinks("cfg", [link(4)]);
    // The Meander record re-coupled without the old pair being deleted (a crash between the two writes).
    await tables.state.putLinks("cfg", [link(4, { portalId: "another-contact" })]);
    expect(await tables.state.getLinks("cfg", [{ side: "portal", id: link(4).portalId }])).toEqual([]);
    expect(await tables.state.getLinks("cfg", [{ side: "portal", id: "another-contact" }])).toEqual([link(4, { portalId: "another-contact" })]);
  });
});

function sort(links: Link[]): Link[] {
  return [...links].sort((a, b) => a.meanderId.localeCompare(b.meanderId));
}
