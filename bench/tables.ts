/**
 * Measures the link layout on Azurite: how fast `putLinks` writes N links (2N
 * entities) with the config's rows in 1 partition versus spread over hash
 * buckets, and how fast `getLinks` reads a few thousand of them back.
 *
 *   npm run build && node dist/bench/tables.js [--links 20000] [--buckets 1,4,16,32] [--concurrency 8,32] [--reads 2000]
 *
 * Starts a fresh in-memory Azurite per scenario. Figures and the choice they led to: README.md in
 * shared/adapters/tables.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createTables, type TablesOptions } from "../shared/adapters/tables/index.js";
import type { Link } from "../shared/core/types.js";
import { startAzurite } from "../sim/azurite.js";

const { values } = parseArgs({
  options: {
    links: { type: "string", default: "20000" },
    buckets: { type: "string", default: "1,4,16,32" },
    concurrency: { type: "string", default: "8,32" },
    reads: { type: "string", default: "2000" },
  },
});
const count = Number(values.links);
const bucketsList = values.buckets.split(",").map(Number);
const concurrencyList = values.concurrency.split(",").map(Number);
const reads = Math.min(Number(values.reads), count);

const link = (i: number): Link => ({
  meanderId: `lp-${i}`,
  portalId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  baseline: { firstName: "Kari", lastName: "Nordmann", memberNumber: 100_000 + i, email: `member${i}@example.org`, active: true },
  meanderVersion: String(i),
  portalVersion: `W/"${i}"`,
  syncedAt: new Date().toISOString(),
});

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function scenario(linkBuckets: number, concurrency: number) {
  // A fresh Azurite per scenario: its cost grows with what it holds, so runs must not inherit data.
  const azurite = await startAzurite();
  const retries: Record<string, number> = {};
  const options: TablesOptions = {
    connectionString: azurite.connectionString,
    prefix: `b${randomBytes(4).toString("hex")}`,
    linkBuckets,
    concurrency,
    events: {
      onRetry: (_attempt, _delay, code) => {
        retries[code] = (retries[code] ?? 0) + 1;
      },
    },
  };
  const row: Record<string, unknown> = { buckets: linkBuckets, concurrency };
  try {
    const tables = createTables(options);
    await tables.ensureTables();
    const links = Array.from({ length: count }, (_, i) => link(i));
    const write = await timed(() =>
      tables.state.putLinks("likepersons", links).then(
        () => "ok",
        (e: Error & { code?: string }) => e.code ?? "failed",
      ),
    );
    Object.assign(row, { write: write.value, "write s": +(write.ms / 1000).toFixed(1), "entities/s": Math.round((2 * count) / (write.ms / 1000)) });
    Object.assign(row, { transactions: tables.counters.transactions, retries: JSON.stringify(retries) });
    if (write.value !== "ok") return row;

    const ids = Array.from({ length: reads }, (_, i) => {
      const l = link(Math.floor((i * count) / reads));
      return i % 2 ? { side: "portal" as const, id: l.portalId } : { side: "meander" as const, id: l.meanderId };
    });
    // getLinks both ways: point reads at several concurrencies, and the (budgeted) scan.
    for (const readConcurrency of [8, 32, 64]) {
      const reader = createTables({ ...options, concurrency: readConcurrency, linkScanThreshold: Number.POSITIVE_INFINITY });
      const read = await timed(() => reader.state.getLinks("likepersons", ids));
      if (read.value.length !== reads) throw new Error(`read back ${read.value.length} of ${reads} links`);
      row[`point reads/s @${readConcurrency}`] = Math.round(reads / (read.ms / 1000));
    }
    const scanner = createTables({ ...options, linkScanThreshold: 0 });
    const scanned = await timed(() => scanner.state.getLinks("likepersons", ids));
    if (scanned.value.length !== reads) throw new Error(`scan found ${scanned.value.length} of ${reads} links`);
    row[`getLinks ${reads} by scan s`] = +(scanned.ms / 1000).toFixed(2);

    const scan = await timed(async () => {
      let n = 0;
      for await (const _ of tables.state.listLinks("likepersons")) n++;
      return n;
    });
    if (scan.value !== count) throw new Error(`listed ${scan.value} of ${count} links`);
    row["listLinks s"] = +(scan.ms / 1000).toFixed(2);
    return row;
  } finally {
    await azurite.stop();
  }
}

async function main() {
  const rows = [];
  for (const concurrency of concurrencyList) {
    for (const buckets of bucketsList) {
      const row = await scenario(buckets, concurrency);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  }
  console.table(rows);
}

await main();
