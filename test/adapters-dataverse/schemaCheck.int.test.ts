import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigs, errorsOf, SchemaCheckedSide } from "../../shared/adapters/dataverse/schema/index.js";
import { loadConfigs } from "../../shared/config/syncConfig.js";
import { defaultTables, type TableDef } from "../../sim/dataverse/index.js";
import { type Harness, startHarness, webApiRequests } from "./harness.js";

const configs = loadConfigs();

/** The default tables with one table's column replaced. */
function tablesWith(entitySet: string, column: string, change: (a: TableDef["attributes"][number]) => TableDef["attributes"][number]): TableDef[] {
  const tables = defaultTables();
  const table = tables.find((t) => t.entitySetName === entitySet)!;
  const i = table.attributes.findIndex((a) => a.logicalName === column);
  table.attributes[i] = change(table.attributes[i]!);
  return tables;
}

describe("the schema check against the simulator's metadata (read through dynamics-web-api)", () => {
  let matching: Harness;
  beforeAll(async () => {
    matching = await startHarness();
  });
  afterAll(() => matching.sim.close());

  it("the repo's configs match the simulator's tables: no errors", async () => {
    const findings = await checkConfigs(matching.side().client, configs);
    expect(errorsOf(findings)).toEqual([]);
  });

  it("reports a key that is not Active and change tracking that is off, naming the table and column", async () => {
    matching.sim.metadata.setKeyStatus("hlf_likepersonactivities", "Pending");
    matching.sim.metadata.setChangeTracking("contacts", false);
    try {
      const errors = errorsOf(await checkConfigs(matching.side().client, configs));
      expect(errors).toContainEqual(expect.objectContaining({ config: "activities", table: "hlf_likepersonactivities", column: "hlf_meanderid" }));
      expect(errors.find((e) => e.column === "hlf_meanderid")?.message).toContain("Pending");
      expect(errors).toContainEqual(expect.objectContaining({ config: "likepersons", table: "contacts", message: expect.stringContaining("change tracking") }));
    } finally {
      matching.sim.metadata.setKeyStatus("hlf_likepersonactivities", "Active");
      matching.sim.metadata.setChangeTracking("contacts", true);
    }
  });

  it("reports option values outside the option set, listing the values and labels found, and the options the map leaves out", async () => {
    const h = await startHarness({
      tables: tablesWith("contacts", "hlf_likepersonstatus", (a) => ({
        ...a,
        options: [
          { value: 754560000, label: "Aktiv" },
          { value: 754560001, label: "Pause" },
          { value: 754560002, label: "Avsluttet" },
        ],
      })),
    });
    try {
      const findings = (await checkConfigs(h.side().client, configs)).filter((e) => e.column === "hlf_likepersonstatus");
      const errors = errorsOf(findings);
      expect(errors.some((e) => e.message.includes("valueMap.active = 100000000") && e.message.includes('754560000 "Aktiv"'))).toBe(true);
      // Meander is the status's master (toPortal): options the map leaves out are never written, and listed as a note.
      const notes = findings.filter((f) => f.level === "note");
      expect(notes.some((e) => e.message.includes("never written") && e.message.includes('754560002 "Avsluttet"'))).toBe(true);
    } finally {
      await h.sim.close();
    }
  });

  it("reports a dateOnly field on a UserLocal column without a time zone, and a bind name that is not the navigation property", async () => {
    const tables = tablesWith("contacts", "hlf_trainingcompletedon", (a) => ({ ...a, dateTimeBehavior: "UserLocal" }));
    const activity = tables.find((t) => t.entitySetName === "hlf_likepersonactivities")!;
    const lookup = activity.attributes.findIndex((a) => a.logicalName === "hlf_contactid");
    activity.attributes[lookup] = { ...activity.attributes[lookup]!, navigationProperty: "hlf_Contact" };
    const h = await startHarness({ tables });
    try {
      const errors = errorsOf(await checkConfigs(h.side().client, configs));
      expect(errors).toContainEqual(
        expect.objectContaining({ table: "contacts", column: "hlf_trainingcompletedon", message: expect.stringContaining("UserLocal") }),
      );
      expect(errors).toContainEqual(
        expect.objectContaining({
          table: "hlf_likepersonactivities",
          column: "hlf_contactid",
          message: expect.stringContaining("navigation property is hlf_Contact"),
        }),
      );
    } finally {
      await h.sim.close();
    }
  });

  it("a run's first write is stopped with SCHEMA_MISMATCH naming the columns, nothing written; the check runs once", async () => {
    const h = await startHarness({ tables: tablesWith("contacts", "hlf_trainingcompletedon", (a) => ({ ...a, dateTimeBehavior: "UserLocal" })) });
    try {
      const side = h.side();
      const checked = new SchemaCheckedSide(side, () => checkConfigs(side.client, configs));
      const write = () => checked.write("contacts", [{ op: "create", ref: "r", data: { firstname: "A" } }]);
      await expect(write()).rejects.toMatchObject({ code: "SCHEMA_MISMATCH", message: expect.stringContaining("contacts.hlf_trainingcompletedon") });
      const afterFirst = webApiRequests(h.sim.counters());
      await expect(write()).rejects.toMatchObject({ code: "SCHEMA_MISMATCH" });
      expect(webApiRequests(h.sim.counters())).toBe(afterFirst);
      expect(h.sim.counters().recordsWritten).toBe(0);
      expect(h.sim.store.list("contacts")).toEqual([]);
    } finally {
      await h.sim.close();
    }
  });
});
