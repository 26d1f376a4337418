import { beforeAll, describe, expect, it } from "vitest";
import type { Tables } from "../../shared/adapters/tables/index.js";
import { conflictIdFor } from "../../shared/core/ids.js";
import type { ConflictRecord, LedgerEntry } from "../../shared/ports.js";
import { freshTables } from "./helpers.js";

let tables: Tables;
beforeAll(async () => {
  tables = await freshTables({ pageSize: 5 });
});

describe("tables", () => {
  it("are created once; ensureTables again is harmless", async () => {
    await tables.ensureTables();
    await tables.state.deleteLedger("again", [{ side: "portal", recordId: "x" }]);
    await tables.ensureTables();
    expect(await tables.state.listLedger("again")).toEqual([]);
  });
});

describe("the retry ledger on Azurite", () => {
  const entry = (side: LedgerEntry["side"], recordId: string, attempts = 1): LedgerEntry => ({
    side,
    recordId,
    attempts,
    firstFailedAt: "2026-01-01T00:00:00.000Z",
    lastFailedAt: "2026-01-01T01:00:00.000Z",
    lastError: { kind: "record", code: "HTTP_412", message: "version mismatch", status: 412 },
  });

  it("round-trips entries keyed by side and record id, across pages", async () => {
    const entries = [entry("portal", "p/1#?"), entry("meander", "p/1#?"), ...Array.from({ length: 12 }, (_, i) => entry("meander", `lp-${i}`))];
    await tables.state.putLedger("cfg", entries);
    await tables.state.putLedger("cfg", [entry("portal", "p/1#?", 2)]);
    const listed = await tables.state.listLedger("cfg");
    const byKey = (e: LedgerEntry) => `${e.side}:${e.recordId}`;
    expect(listed.map(byKey).sort()).toEqual(entries.map(byKey).sort());
    expect(listed.find((e) => e.side === "portal")).toEqual(entry("portal", "p/1#?", 2));

    await tables.state.deleteLedger("cfg", [
      { side: "portal", recordId: "p/1#?" },
      { side: "portal", recordId: "never-there" },
    ]);
    const left = await tables.state.listLedger("cfg");
    expect(left).toHaveLength(13);
    expect(left.some((e) => e.side === "portal")).toBe(false);
    const noStatus = { ...entry("meander", "x"), lastError: { kind: "transient" as const, code: "NETWORK", message: "network error" } };
    await tables.state.putLedger("solo", [noStatus]);
    expect(await tables.state.listLedger("solo")).toEqual([noStatus]);
  });
});

describe("conflicts on Azurite", () => {
  const fieldConflict: ConflictRecord = {
    conflictId: conflictIdFor("field", "lp-1", "p-1"),
    configId: "cfg",
    kind: "field",
    meanderId: "lp-1",
    portalId: "p-1",
    fields: [{ field: "phone", base: "+4790000000", meander: "+4791111111", portal: "+4792222222" }],
    detectedAt: "2026-01-01T00:00:00.000Z",
    status: "open",
  };
  const ambiguous: ConflictRecord = {
    conflictId: conflictIdFor("ambiguous", "lp-2", undefined),
    configId: "cfg",
    kind: "ambiguous",
    meanderId: "lp-2",
    fields: [],
    candidates: ["p-2", "p-3"],
    detectedAt: "2026-01-01T00:00:00.000Z",
    status: "open",
  };

  it("round-trips, filters by status, and re-detecting replaces rather than duplicates", async () => {
    await tables.state.putConflicts("cfg", [fieldConflict, ambiguous]);
    await tables.state.putConflicts("cfg", [{ ...fieldConflict, detectedAt: "2026-01-02T00:00:00.000Z" }]);
    expect(await tables.state.listConflicts("cfg", "open")).toHaveLength(2);

    const resolved: ConflictRecord = {
      ...ambiguous,
      status: "resolved",
      resolution: { choice: "value", values: { portalId: "p-3" }, resolvedAt: "2026-01-03T00:00:00.000Z", resolvedBy: "admin-object-id" },
    };
    await tables.state.putConflicts("cfg", [resolved]);
    expect(await tables.state.listConflicts("cfg", "open")).toEqual([{ ...fieldConflict, detectedAt: "2026-01-02T00:00:00.000Z" }]);
    expect(await tables.state.listConflicts("cfg", "resolved")).toEqual([resolved]);
    expect(await tables.state.listConflicts("cfg")).toHaveLength(2);
    expect(await tables.state.getConflict("cfg", ambiguous.conflictId)).toEqual(resolved);
    expect(await tables.state.getConflict("cfg", "nope")).toBeUndefined();
    expect(await tables.state.listConflicts("other")).toEqual([]);
  });
});
