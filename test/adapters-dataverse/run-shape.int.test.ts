/**
 * Requests per synced record for the shape of a real run: the first run (full
 * read, match-key lookups for every record, one write each, then a delta) and a
 * steady-state run (delta, writes for the changed records).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import { collect, guid, type Harness, SECRET_NAME, startHarness, webApiRequests } from "./harness.js";

const N = 600;

describe("requests per synced record", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.sim.store.seed(
      "contacts",
      Array.from({ length: N }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i}`, hlf_membernumber: 100_000 + i, emailaddress1: `p${i}@example.no` })),
    );
    await h.secrets.getSecret(SECRET_NAME);
  });
  afterAll(() => h.sim.close());

  it("first run and steady state stay far below one request per record", async () => {
    const side = h.side();
    h.sim.resetCounters();
    const pages = await collect(side.readChanges("contacts", undefined));
    const records = pages.flatMap((p) => p.records);
    const candidates = await side.findByField(
      "contacts",
      "hlf_membernumber",
      records.map((r) => r.data["hlf_membernumber"] as number),
    );
    expect(candidates).toHaveLength(N);
    const couple: WriteOp[] = records.map((r, i) => ({ op: "update", ref: `${i}`, id: r.id, ifMatch: r.version!, data: { hlf_meanderid: `m-${i}` } }));
    const written = await side.write("contacts", couple);
    expect(written.every((o) => o.ok)).toBe(true);
    const echo = await collect(side.readChanges("contacts", pages.at(-1)!.cursor));
    const firstRun = webApiRequests(h.sim.counters());
    const tokens = h.sim.counters().byKind.token;

    h.sim.resetCounters();
    for (let i = 0; i < 50; i++) h.sim.store.edit("contacts", guid(i + 1), { firstname: `Edited ${i}` });
    const changes = await collect(side.readChanges("contacts", echo.at(-1)!.cursor));
    const changed = changes.flatMap((p) => p.records);
    expect(changed).toHaveLength(50);
    // Every write brought its record's new ETag back in the same response.
    expect(new Set(written.map((o) => o.ok && o.version)).size).toBe(N);
    await side.write(
      "contacts",
      changed.map((r, i) => ({ op: "update", ref: `${i}`, id: r.id, ifMatch: r.version!, data: { lastname: `L${i}` } })),
    );
    const steady = webApiRequests(h.sim.counters());
    console.info(
      `requests per synced record: first run ${firstRun} for ${N} (${(firstRun / N).toFixed(3)}), steady state ${steady} for 50 (${(steady / 50).toFixed(3)}); token requests ${tokens}, retry-after violations ${h.sim.counters().retryAfterViolations}`,
    );
    expect(firstRun / N).toBeLessThan(0.05);
    expect(steady).toBe(2);
    expect(tokens).toBe(1);
  });
});
