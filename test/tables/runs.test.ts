import { TableClient } from "@azure/data-tables";
import { beforeAll, describe, expect, it } from "vitest";
import type { Tables } from "../../shared/adapters/tables/index.js";
import { freshTables, sampleRun } from "./helpers.js";

let tables: Tables;
let raw: TableClient;
beforeAll(async () => {
  tables = await freshTables();
  raw = TableClient.fromConnectionString(process.env.AZURITE_CONNECTION_STRING ?? "", tables.tableNames.runs, { allowInsecureConnection: true });
});

const rawRows = async (configId: string) => {
  const rows: Record<string, unknown>[] = [];
  for await (const row of raw.listEntities({ queryOptions: { filter: `PartitionKey eq '${configId}'` } })) rows.push(row);
  return rows;
};

describe("run records on Azurite", () => {
  it("round-trips a run and finds it by id alone", async () => {
    const run = sampleRun({
      configId: "rt",
      runId: "r-roundtrip",
      errors: [{ code: "HTTP_412", message: "stale version", side: "portal", recordId: "p/1" }],
      errorCount: 1,
    });
    await tables.runs.saveRun(run);
    expect(await tables.runs.getRun("rt", "r-roundtrip")).toEqual(run);
    expect(await tables.runs.getRun("rt", "missing")).toBeUndefined();
    expect(await tables.runs.getRun("other", "r-roundtrip")).toBeUndefined();
  });

  it("keeps status, trigger, times and counts as columns for operators", async () => {
    await tables.runs.saveRun(sampleRun({ configId: "columns", runId: "r-col", status: "partial", trigger: "manual", errorCount: 2 }));
    const [row, index] = await rawRows("columns");
    expect(row).toMatchObject({
      rowKey: expect.stringMatching(/^\d{16}_r-col$/),
      runId: "r-col",
      status: "partial",
      trigger: "manual",
      startedAt: "2026-01-01T10:00:00.000Z",
      durationMs: 5000,
      errorCount: 2,
      meanderRead: 3,
      meanderUpdated: 1,
      portalCreated: 1,
      portalFailed: 0,
    });
    expect(index).toMatchObject({ rowKey: "~run_r-col", runKey: row?.["rowKey"] });
  });

  it("replaces the row when a running run is saved again at its end", async () => {
    const running = sampleRun({ configId: "replace", runId: "r-1", status: "running", finishedAt: undefined, durationMs: undefined });
    await tables.runs.saveRun(running);
    await tables.runs.saveRun({ ...running, status: "failed", finishedAt: "2026-01-01T10:01:00.000Z", durationMs: 60_000 });
    const runs = await tables.runs.listRuns("replace", 10);
    expect(runs.map((r) => [r.runId, r.status])).toEqual([["r-1", "failed"]]);
  });

  it("lists newest first, with two runs started in the same millisecond, and honours the limit", async () => {
    const at = (s: string) => `2026-02-01T10:00:${s}.000Z`;
    for (const [runId, startedAt] of [
      ["a", at("01")],
      ["b", at("03")],
      ["c", at("02")],
      ["d", at("03")],
    ] as const) {
      await tables.runs.saveRun(sampleRun({ configId: "order", runId, startedAt }));
    }
    const runs = await tables.runs.listRuns("order", 10);
    expect(runs.map((r) => r.runId)).toEqual(["b", "d", "c", "a"]);
    expect((await tables.runs.listRuns("order", 2)).map((r) => r.runId)).toEqual(["b", "d"]);
    expect(await tables.runs.listRuns("order", 0)).toEqual([]);
  });

  it("keys configs and run ids with / \\ # ? and non-ASCII characters", async () => {
    const configId = "cfg/with\\odd#chars?æøå";
    const runId = "run/1#ø?";
    await tables.runs.saveRun(sampleRun({ configId, runId }));
    expect((await tables.runs.getRun(configId, runId))?.runId).toBe(runId);
    expect((await tables.runs.listRuns(configId, 5)).map((r) => r.configId)).toEqual([configId]);
  });

  it("truncates a huge error list to stay under the entity limit, keeping errorCount true", async () => {
    const errors = Array.from({ length: 20_000 }, (_, i) => ({
      side: "meander" as const,
      recordId: `lp-${i}`,
      code: "MAPPING_FAILED",
      message: `field contact.mobilephone: not a phone number (${i})`,
    }));
    await tables.runs.saveRun(sampleRun({ configId: "big", runId: "r-big", status: "partial", errors, errorCount: 20_000 }));
    const stored = await tables.runs.getRun("big", "r-big");
    expect(stored?.errorCount).toBe(20_000);
    expect(stored?.errors.length).toBeGreaterThan(500);
    expect(stored?.errors.length).toBeLessThan(20_000);
    expect(stored?.errors[0]).toEqual(errors[0]);
    expect(stored?.notes.at(-1)).toMatch(/^errors truncated for storage: kept \d+ of 20000$/);
    const row = await tables.runs.listRuns("big", 1);
    expect(JSON.stringify(row).length).toBeLessThan(512 * 1024);
  });

  it("refuses a run whose start time is not a time, naming the run", async () => {
    await expect(tables.runs.saveRun(sampleRun({ runId: "r-bad", startedAt: "yesterday" }))).rejects.toThrow(/run r-bad: startedAt/);
  });

  it("purges runs that started before a date, with their index rows", async () => {
    for (const [runId, startedAt] of [
      ["old1", "2025-01-01T00:00:00.000Z"],
      ["old2", "2025-06-30T23:59:59.999Z"],
      ["edge", "2025-07-01T00:00:00.000Z"],
      ["new", "2025-08-01T00:00:00.000Z"],
    ] as const) {
      await tables.runs.saveRun(sampleRun({ configId: "purge", runId, startedAt }));
    }
    expect(await tables.runs.purgeRuns("purge", new Date("2025-07-01T00:00:00.000Z"))).toBe(2);
    expect((await tables.runs.listRuns("purge", 10)).map((r) => r.runId)).toEqual(["new", "edge"]);
    expect(await tables.runs.getRun("purge", "old1")).toBeUndefined();
    // The index rows went with their runs.
    expect((await rawRows("purge")).map((r) => r["rowKey"]).filter((k) => String(k).startsWith("~"))).toEqual(["~run_edge", "~run_new"]);
    expect(await tables.runs.purgeRuns("purge", new Date("2025-07-01T00:00:00.000Z"))).toBe(0);
  });
});
