import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import { createTables, DEFAULT_LINK_BUCKETS } from "../../shared/adapters/tables/index.js";
import { LEGACY_LINK_BUCKETS } from "../../shared/adapters/tables/layout.js";
import type { Link } from "../../shared/core/types.js";

const connectionString = () => {
  const cs = process.env.AZURITE_CONNECTION_STRING;
  if (!cs) throw new Error("AZURITE_CONNECTION_STRING is not set: the vitest global setup starts Azurite");
  return cs;
};

const link = (i: number): Link => ({
  meanderId: `lp-${i}`,
  portalId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  baseline: { memberNumber: i },
  meanderVersion: `v${i}`,
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => link(i));

/** The partitions the links table's rows sit in (the layout row apart). */
async function partitionsOf(prefix: string): Promise<Set<string>> {
  const client = TableClient.fromConnectionString(connectionString(), `${prefix}links`, { allowInsecureConnection: true });
  const pks = new Set<string>();
  for await (const row of client.listEntities()) if (row.partitionKey !== "~layout") pks.add(row.partitionKey ?? "");
  return pks;
}

describe("the links table records its partitions per config", () => {
  it("a fresh table gets the default count, recorded, and a later instance keeps it", async () => {
    const prefix = `t${randomBytes(5).toString("hex")}`;
    const first = createTables({ connectionString: connectionString(), prefix });
    await first.ensureTables();
    await first.state.putLinks("cfg", ids(400));
    const pks = await partitionsOf(prefix);
    expect(pks.size).toBeGreaterThan(LEGACY_LINK_BUCKETS);
    expect([...pks].every((pk) => /^cfg~\d\d$/.test(pk) && Number(pk.slice(4)) < DEFAULT_LINK_BUCKETS)).toBe(true);

    const later = createTables({ connectionString: connectionString(), prefix });
    await later.ensureTables();
    const found = await later.state.getLinks("cfg", [
      { side: "meander", id: "lp-3" },
      { side: "portal", id: link(399).portalId },
    ]);
    expect(found.map((l) => l.meanderId).sort()).toEqual(["lp-3", "lp-399"]);
  });

  it("a table holding links from before the layout row keeps the legacy 16 partitions", async () => {
    const prefix = `t${randomBytes(5).toString("hex")}`;
    // What an earlier version wrote: 16 partitions, no layout row.
    const old = createTables({ connectionString: connectionString(), prefix, linkBuckets: LEGACY_LINK_BUCKETS });
    await old.ensureTables();
    await old.state.putLinks("cfg", ids(200));

    const now = createTables({ connectionString: connectionString(), prefix });
    await now.ensureTables();
    const found = await now.state.getLinks(
      "cfg",
      ids(200).map((l) => ({ side: "portal" as const, id: l.portalId })),
    );
    expect(found).toHaveLength(200);
    await now.state.putLinks("cfg", [link(500)]);
    const pks = await partitionsOf(prefix);
    expect(pks.size).toBe(LEGACY_LINK_BUCKETS);
    let listed = 0;
    for await (const _ of now.state.listLinks("cfg")) listed++;
    expect(listed).toBe(201);
  });
});
