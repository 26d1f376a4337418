import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WriteOp } from "../../shared/ports.js";
import { collect, guid, type Harness, startHarness } from "./harness.js";

describe("DataverseSide.write against the simulator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.sim.close());

  it("10,000 upserts by alternate key take ceil(10,000 / batch size) batch requests and repeat nothing", async () => {
    const batchSize = 250;
    const side = h.side({ batchSize });
    const ops: WriteOp[] = Array.from({ length: 10_000 }, (_, i) => ({
      op: "create",
      ref: `r${i}`,
      data: { hlf_meanderid: `act-${i}`, hlf_name: `activity ${i}`, hlf_hours: i % 7 },
      upsertKey: { field: "hlf_meanderid", value: `act-${i}` },
    }));
    h.sim.resetCounters();
    const outcomes = await side.write("hlf_likepersonactivities", ops);
    const counters = h.sim.counters();
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(counters.byKind.batch).toBe(Math.ceil(10_000 / batchSize));
    expect(counters.byKind.upsert).toBe(10_000);
    expect(counters.noopWrites).toBe(0);
    expect(counters.retryAfterViolations).toBe(0);
    expect(h.sim.store.list("hlf_likepersonactivities")).toHaveLength(10_000);
    // Each outcome carries the new id and ETag from the same response part.
    const first = outcomes[0]!;
    expect(first.ok && first.version).toMatch(/^W\/"\d+"$/);
    expect(first.ok && h.sim.store.get("hlf_likepersonactivities", first.id)?.["hlf_meanderid"]).toBe("act-0");
  }, 60_000);

  it("an ETag mismatch fails that record only: no overwrite, the rest of the batch applied", async () => {
    const side = h.side();
    h.sim.store.seed(
      "contacts",
      [1, 2, 3].map((n) => ({ contactid: guid(n), firstname: `F${n}`, lastname: "L" })),
    );
    const read = (await collect(side.readChanges("contacts", undefined))).flatMap((p) => p.records);
    const version = (id: string) => read.find((r) => r.id === id)!.version!;
    // Someone edits record 2 in the portal after we read it.
    h.sim.store.edit("contacts", guid(2), { firstname: "Portal edit" });
    const outcomes = await side.write("contacts", [
      { op: "update", ref: "a", id: guid(1), ifMatch: version(guid(1)), data: { firstname: "Synced 1" } },
      { op: "update", ref: "b", id: guid(2), ifMatch: version(guid(2)), data: { firstname: "Synced 2" } },
      { op: "update", ref: "c", id: guid(3), ifMatch: version(guid(3)), data: { firstname: "Synced 3" } },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const failed = outcomes[1]!;
    expect(!failed.ok && failed.error).toMatchObject({ kind: "record", code: "PRECONDITION_FAILED", status: 412 });
    expect(h.sim.store.get("contacts", guid(2))?.["firstname"]).toBe("Portal edit");
    expect(h.sim.store.get("contacts", guid(1))?.["firstname"]).toBe("Synced 1");
    const ok = outcomes[0]!;
    expect(ok.ok && ok.version).not.toBe(version(guid(1)));
  });

  it("sends only the given columns, deletes with If-Match, and reports bad records without failing the others", async () => {
    const side = h.side();
    h.sim.store.seed("contacts", [
      { contactid: guid(10), firstname: "Keep", lastname: "Me", emailaddress1: "x@example.no" },
      { contactid: guid(11), firstname: "Gone" },
    ]);
    const [ten] = await side.getByIds("contacts", [guid(10)]);
    const [eleven] = await side.getByIds("contacts", [guid(11)]);
    const outcomes = await side.write("contacts", [
      { op: "update", ref: "u", id: guid(10), ifMatch: ten!.version!, data: { lastname: "Changed" } },
      { op: "delete", ref: "d", id: guid(11), ifMatch: eleven!.version! },
      { op: "update", ref: "bad-id", id: "not-a-guid", data: { lastname: "x" } },
      { op: "update", ref: "missing", id: guid(999), data: { lastname: "x" } },
      { op: "create", ref: "plain", data: { firstname: "Unsafe key", hlf_meanderid: "a/b" }, upsertKey: { field: "hlf_meanderid", value: "a/b" } },
    ]);
    expect(outcomes.map((o) => [o.ref, o.ok])).toEqual([
      ["u", true],
      ["d", true],
      ["bad-id", false],
      ["missing", false],
      ["plain", true],
    ]);
    expect(h.sim.store.get("contacts", guid(10))).toMatchObject({ firstname: "Keep", lastname: "Changed", emailaddress1: "x@example.no" });
    expect(h.sim.store.get("contacts", guid(11))).toBeUndefined();
    const missing = outcomes[3]!;
    expect(!missing.ok && missing.error.code).toBe("NOT_FOUND");
    // A key value Dataverse cannot take in a URL: looked up first, then created with the key column set.
    const plain = outcomes[4]!;
    expect(plain.ok && h.sim.store.get("contacts", plain.id)?.["hlf_meanderid"]).toBe("a/b");
  });

  it("a create whose key cannot go in a URL updates the record that already holds the key, never a second one", async () => {
    const side = h.side();
    const existing = h.sim.store.create("contacts", { firstname: "Before", hlf_meanderid: "ø/1+2&x" });
    h.sim.resetCounters();
    const outcomes = await side.write("contacts", [
      { op: "create", ref: "again", data: { firstname: "After" }, upsertKey: { field: "hlf_meanderid", value: "Ø/1+2&X" } },
      { op: "create", ref: "fresh", data: { firstname: "New" }, upsertKey: { field: "hlf_meanderid", value: "new/one" } },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: true, id: existing });
    expect(h.sim.store.get("contacts", existing)?.["firstname"]).toBe("After");
    expect(outcomes[1]!.ok && h.sim.store.get("contacts", outcomes[1]!.id)?.["hlf_meanderid"]).toBe("new/one");
    // One lookup for both values, one batch for the writes.
    expect(h.sim.counters().byKind.get).toBe(1);
    expect(h.sim.counters().byKind.batch).toBe(1);
  });

  it("an upsert of an existing alternate key updates that record instead of creating a second one", async () => {
    const side = h.side();
    const id = h.sim.store.create("contacts", { firstname: "Before", hlf_meanderid: "m-upsert" });
    const [outcome] = await side.write("contacts", [
      { op: "create", ref: "x", data: { firstname: "After", hlf_meanderid: "m-upsert" }, upsertKey: { field: "hlf_meanderid", value: "m-upsert" } },
    ]);
    expect(outcome).toMatchObject({ ok: true, id });
    expect(h.sim.store.list("contacts").filter((r) => r["hlf_meanderid"] === "m-upsert")).toHaveLength(1);
  });
});
