/**
 * The activity config on the strict simulator through the composition root: its lookup
 * binds through the navigation property (hlf_ContactId), its dates are written as Oslo
 * midnight on the UserLocal column, and a second run finds nothing to change.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zoneDate, zoneMidnight } from "../../shared/adapters/dataverse/schema/index.js";
import { type ComposedService, createService } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import { createJsonLogger } from "../../shared/logging.js";
import { type StandIns, startStandIns } from "../../sim/stack.js";
import { caller } from "../functions/call.js";
import { checkResponse } from "../functions/openapi.js";

describe("calendar dates on UserLocal columns", () => {
  it.each([
    ["2024-03-05", "2024-03-04T23:00:00Z"],
    ["2024-07-01", "2024-06-30T22:00:00Z"],
    // The day summer time starts: midnight is still UTC+1.
    ["2024-03-31", "2024-03-30T23:00:00Z"],
    ["2024-10-27", "2024-10-26T22:00:00Z"],
  ])("%s in Europe/Oslo is written as %s and read back as the same date", (date, instant) => {
    expect(zoneMidnight(date, "Europe/Oslo")).toBe(instant);
    expect(zoneDate(instant, "Europe/Oslo")).toBe(date);
  });
});

describe("the activity config on the strict simulator", () => {
  let standIns: StandIns;
  let service: ComposedService;
  const lines: string[] = [];

  beforeAll(async () => {
    standIns = await startStandIns({ dataset: { seed: 21, people: 20, overlap: 0.8, activitiesPerPerson: 2 } });
    const env = {
      ...standIns.settings,
      KEY_VAULT_URL: standIns.dataverse.keyVaultUrl,
      AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
      SYNC_TABLE_PREFIX: `a${randomBytes(5).toString("hex")}`,
    };
    service = await createService(loadSettings(env), { logger: createJsonLogger((_level, line) => lines.push(line)) });
  });
  afterAll(async () => {
    await standIns?.close();
  });

  it("creates activities bound to their contacts, with Oslo dates, and a second run changes nothing", async () => {
    const people = await service.runSync("likepersons", { trigger: "cli" });
    expect(people.status).not.toBe("failed");
    const first = await service.runSync("activities", { trigger: "cli" });
    // Reports of likepersons the member register has no contact for (nothing is created there
    // without a person) wait in the retry ledger; every other report is written.
    const onlyUnresolved = (r: typeof first) => r.errors.every((e) => e.code === "LOOKUP_UNRESOLVED");
    expect(first.status === "succeeded" || (first.status === "partial" && onlyUnresolved(first))).toBe(true);
    expect(first.counts.portal.created).toBeGreaterThan(0);
    const rows = standIns.dataverse.store.list("hlf_likepersonactivities");
    expect(rows.length).toBe(first.counts.portal.created);
    const contacts = new Set(standIns.dataverse.store.list("contacts").map((c) => c.contactid));
    for (const row of rows) {
      expect(contacts.has(row._hlf_contactid_value)).toBe(true);
      expect(row.hlf_date).toMatch(/^\d{4}-\d\d-\d\dT2[23]:00:00Z$/);
    }
    const meanderDates = new Set(standIns.meander.store.list("activities").map((a) => String(a.data.date)));
    for (const row of rows) expect(meanderDates.has(zoneDate(String(row.hlf_date), "Europe/Oslo"))).toBe(true);

    const second = await service.runSync("activities", { trigger: "cli" });
    expect(second.status === "succeeded" || (second.status === "partial" && onlyUnresolved(second))).toBe(true);
    expect(second.counts.portal).toMatchObject({ created: 0, updated: 0 });
  });

  it("GET /api/sync/{configId}/check answers the check on the live metadata, as documented", async () => {
    const call = caller(service);
    const ok = await call("syncCheck", { params: { configId: "activities" } });
    expect(ok.status).toBe(200);
    expect(checkResponse("/sync/{configId}/check", "GET", ok.status, ok.body)).toEqual(["GET /sync/{configId}/check 200"]);
    expect(ok.body).toMatchObject({ configId: "activities", ok: true });

    standIns.dataverse.metadata.setKeyStatus("hlf_likepersonactivities", "Failed");
    try {
      const bad = await call("syncCheck", { params: { configId: "activities" } });
      expect(bad.body).toMatchObject({ ok: false, findings: expect.arrayContaining([expect.objectContaining({ level: "error", column: "hlf_meanderid" })]) });
    } finally {
      standIns.dataverse.metadata.setKeyStatus("hlf_likepersonactivities", "Active");
    }
    expect((await call("syncCheck", { params: { configId: "nosuch" } })).status).toBe(404);
  });
});
