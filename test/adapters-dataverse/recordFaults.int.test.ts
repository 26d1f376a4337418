import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import { guid, type Harness, startHarness } from "./harness.js";

describe("DataverseSide.write: record-level failures (plug-in abort, duplicate detection)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.sim.store.seed(
      "contacts",
      [1, 2, 3].map((n) => ({ contactid: guid(n), firstname: `F${n}`, lastname: "L", hlf_meanderid: `m-${n}` })),
    );
  });
  afterAll(() => h.sim.close());

  it("one record failing with 500 0x80040265 / 0x80040333 fails alone, is not retried, and the run's other writes are applied", async () => {
    h.sim.plugins.failRecords({ entitySet: "contacts", when: (row) => row.firstname === "Bad" });
    h.sim.plugins.failRecords({ entitySet: "contacts", when: (row) => row.lastname === "Twin", code: "0x80040333" });
    const side = h.side();
    const ops: WriteOp[] = [
      { op: "update", ref: "a", id: guid(1), data: { firstname: "Good" } },
      { op: "update", ref: "b", id: guid(2), data: { firstname: "Bad" } },
      { op: "create", ref: "c", data: { firstname: "T", lastname: "Twin" }, upsertKey: { field: "hlf_meanderid", value: "m-twin" } },
      { op: "update", ref: "d", id: guid(3), data: { firstname: "Also good" } },
    ];
    h.sim.resetCounters();
    const outcomes = await side.write("contacts", ops);
    const byRef = new Map(outcomes.map((o) => [o.ref, o]));
    expect(byRef.get("a")?.ok).toBe(true);
    expect(byRef.get("d")?.ok).toBe(true);
    const plugin = byRef.get("b");
    expect(plugin?.ok === false && plugin.error).toMatchObject({ kind: "record", code: "PLUGIN_ERROR", status: 500 });
    const duplicate = byRef.get("c");
    expect(duplicate?.ok === false && duplicate.error).toMatchObject({ kind: "record", code: "DUPLICATE_DETECTED", status: 500 });
    // One batch: a record-level 500 is not a transient failure to send again.
    expect(h.sim.counters().byKind.batch).toBe(1);
    expect(h.sim.store.get("contacts", guid(1))!.firstname).toBe("Good");
    expect(h.sim.store.get("contacts", guid(2))!.firstname).toBe("F2");
    expect(h.sim.store.list("contacts").some((row) => row.lastname === "Twin")).toBe(false);
  });
});
