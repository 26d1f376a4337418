import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

describe("Dataverse simulator: as strict as Dataverse", () => {
  let sim: DataverseSim;
  let token: string;

  beforeAll(async () => {
    sim = await startSim({ dopHint: 3 });
    token = await getToken(sim);
    sim.store.seed("contacts", [{ contactid: guid(1), firstname: "Ann", lastname: "Lee", hlf_meanderid: "m-1" }]);
  });
  afterAll(() => sim.close());

  it.each([
    ["an unknown column", { firstname: "A", hlf_nosuchcolumn: "x" }, "0x80048d19", "hlf_nosuchcolumn"],
    ["a logical name in the wrong case", { FirstName: "A" }, "0x80048d19", "FirstName"],
    ["text where a choice goes", { hlf_likepersonstatus: "active" }, "0x80048d19", "Edm.Int32"],
    ["a choice outside the option set", { hlf_likepersonstatus: 1 }, "0x8004431a", "hlf_likepersonstatus"],
    ["a number where text goes", { firstname: 5 }, "0x80048d19", "Edm.String"],
    ["text longer than the column", { firstname: "x".repeat(51) }, "0x80044331", "firstname"],
    ["a date that is not a date", { hlf_trainingcompletedon: "5 March" }, "0x80048d19", "Edm.DateTimeOffset"],
  ])("refuses %s in a body with 400 and Dataverse's code, writing nothing", async (_what, body, code, named) => {
    const before = sim.store.get("contacts", guid(1))!.versionnumber;
    const response = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toContain(named);
    expect(sim.store.get("contacts", guid(1))!.versionnumber).toBe(before);
  });

  it("binds a lookup only through its navigation property, case-sensitively, and only to its target table", async () => {
    for (const name of ["hlf_contactid@odata.bind", "hlf_contactId@odata.bind"]) {
      const wrong = await api(sim, token, "POST", "hlf_likepersonactivities", { body: { hlf_name: "V", [name]: `/contacts(${guid(1)})` } });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error.code).toBe("0x80048d19");
      expect(wrong.json.error.message).toContain("undeclared property");
    }
    const otherTable = await api(sim, token, "POST", "hlf_likepersonactivities", {
      body: { hlf_name: "V", "hlf_ContactId@odata.bind": `/hlf_likepersonactivities(${guid(9)})` },
    });
    expect(otherTable.status).toBe(400);
    const right = await api(sim, token, "POST", "hlf_likepersonactivities", {
      body: { hlf_name: "V", "hlf_ContactId@odata.bind": `/contacts(${guid(1)})` },
      headers: { Prefer: "return=representation" },
    });
    expect(right.status).toBe(201);
    expect(right.json._hlf_contactid_value).toBe(guid(1));
  });

  it("refuses unknown columns in $select, $filter and $orderby (names are case-sensitive)", async () => {
    for (const query of ["$select=firstname,nosuch", "$select=FirstName", "$filter=nosuch eq 'x'", "$orderby=nosuch"]) {
      const response = await api(sim, token, "GET", `contacts?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.json.error.message).toContain("Could not find a property named");
    }
    expect((await api(sim, token, "GET", "contacts?$select=firstname,_masterid_value&$filter=lastname eq 'Lee'")).status).toBe(200);
  });

  it("stores a DateOnly column as yyyy-mm-dd and a UserLocal one as a UTC instant to the second", async () => {
    const created = await api(sim, token, "POST", "hlf_likepersonactivities?$select=hlf_date", {
      // 5 March entered in Oslo (UTC+1) is 4 March 23:00 UTC.
      body: { hlf_name: "D", hlf_date: "2024-03-05T00:00:00.000+01:00" },
      headers: { Prefer: "return=representation" },
    });
    expect(created.json.hlf_date).toBe("2024-03-04T23:00:00Z");
    const contact = await api(sim, token, "PATCH", `contacts(${guid(1)})?$select=hlf_trainingcompletedon,modifiedon`, {
      body: { hlf_trainingcompletedon: "2024-03-05T10:00:00Z" },
      headers: { Prefer: "return=representation" },
    });
    expect(contact.json.hlf_trainingcompletedon).toBe("2024-03-05");
    expect(contact.json.modifiedon).toMatch(/T\d\d:\d\d:\d\dZ$/);
  });

  it("sends x-ms-dop-hint on every Web API response", async () => {
    const response = await api(sim, token, "GET", "contacts?$select=firstname");
    expect(response.headers.get("x-ms-dop-hint")).toBe("3");
  });

  it("serves EntityDefinitions: columns with types and date behaviours, keys with their index status, lookups with navigation properties", async () => {
    const byName = await api(
      sim,
      token,
      "GET",
      "EntityDefinitions?$select=LogicalName,EntitySetName,ChangeTrackingEnabled&$filter=EntitySetName eq 'hlf_likepersonactivities'",
    );
    expect(byName.status).toBe(200);
    expect(byName.json.value).toEqual([expect.objectContaining({ LogicalName: "hlf_likepersonactivity", ChangeTrackingEnabled: true })]);

    const entity = await api(
      sim,
      token,
      "GET",
      "EntityDefinitions(LogicalName='hlf_likepersonactivity')?$select=LogicalName,IsOptimisticConcurrencyEnabled&$expand=Attributes,Keys,ManyToOneRelationships",
    );
    expect(entity.json).toMatchObject({ LogicalName: "hlf_likepersonactivity", IsOptimisticConcurrencyEnabled: true });
    const date = entity.json.Attributes.find((a: { LogicalName: string }) => a.LogicalName === "hlf_date");
    expect(date).toMatchObject({ AttributeType: "DateTime", DateTimeBehavior: { Value: "UserLocal" }, Format: "DateOnly" });
    expect(entity.json.Keys).toEqual([expect.objectContaining({ KeyAttributes: ["hlf_meanderid"], EntityKeyIndexStatus: "Active" })]);
    expect(entity.json.ManyToOneRelationships).toContainEqual(
      expect.objectContaining({ ReferencingAttribute: "hlf_contactid", ReferencedEntity: "contact", ReferencingEntityNavigationPropertyName: "hlf_ContactId" }),
    );

    const choices = await api(
      sim,
      token,
      "GET",
      "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)",
    );
    const status = choices.json.value.find((a: { LogicalName: string }) => a.LogicalName === "hlf_likepersonstatus");
    expect(
      status.OptionSet.Options.map((o: { Value: number; Label: { UserLocalizedLabel: { Label: string } } }) => [o.Value, o.Label.UserLocalizedLabel.Label]),
    ).toEqual([
      [100000000, "Aktiv"],
      [100000001, "Pause"],
      [100000002, "Avsluttet"],
    ]);
  });

  it("an alternate key whose index is not Active cannot address a record; change tracking off refuses a delta", async () => {
    sim.metadata.setKeyStatus("contacts", "Pending");
    const pending = await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-1')", { body: { firstname: "K" } });
    expect(pending.status).toBe(400);
    const keys = await api(sim, token, "GET", "EntityDefinitions(LogicalName='contact')/Keys");
    expect(keys.json.value[0].EntityKeyIndexStatus).toBe("Pending");
    sim.metadata.setKeyStatus("contacts", "Active");
    expect((await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-1')", { body: { firstname: "K" } })).status).toBe(204);

    sim.metadata.setChangeTracking("contacts", false);
    const delta = await api(sim, token, "GET", "contacts?$select=firstname", { headers: { Prefer: "odata.track-changes" } });
    expect(delta.status).toBe(400);
    sim.metadata.setChangeTracking("contacts", true);
  });
});
