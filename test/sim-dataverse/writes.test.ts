import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

describe("Dataverse simulator: writes", () => {
  let sim: DataverseSim;
  let token: string;

  beforeAll(async () => {
    sim = await startSim();
    token = await getToken(sim);
    sim.store.seed("contacts", [{ contactid: guid(1), firstname: "Ann", lastname: "Lee", hlf_meanderid: "m-1" }]);
  });
  afterAll(() => sim.close());

  it("creates with POST: 204 and OData-EntityId, or 201 with the representation", async () => {
    const plain = await api(sim, token, "POST", "contacts", { body: { firstname: "Bo", hlf_meanderid: "m-bo" } });
    expect(plain.status).toBe(204);
    const id = /contacts\(([0-9a-f-]{36})\)$/.exec(plain.headers.get("odata-entityid") ?? "")?.[1];
    expect(id).toBeTruthy();
    expect(sim.store.get("contacts", id!)).toMatchObject({ firstname: "Bo", hlf_meanderid: "m-bo", versionnumber: expect.any(Number) });

    const represented = await api(sim, token, "POST", "contacts?$select=firstname,lastname", {
      body: { firstname: "Cy" },
      headers: { Prefer: "return=representation" },
    });
    expect(represented.status).toBe(201);
    expect(represented.json).toMatchObject({ firstname: "Cy", "@odata.etag": expect.stringMatching(/^W\/"\d+"$/) });
    expect(represented.json.lastname).toBeNull();
    expect(represented.headers.get("preference-applied")).toBe("return=representation");
  });

  it("updates with PATCH, moving versionnumber and modifiedon (to the second, as Dataverse stores it)", async () => {
    const before = sim.store.get("contacts", guid(1))!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await api(sim, token, "PATCH", `contacts(${guid(1)})`, {
      body: { lastname: "Lie" },
      headers: { "If-Match": `W/"${before.versionnumber}"` },
    });
    expect(response.status).toBe(204);
    const after = sim.store.get("contacts", guid(1))!;
    expect(after.lastname).toBe("Lie");
    expect(Number(after.versionnumber)).toBeGreaterThan(Number(before.versionnumber));
    // Two writes within one second share a modifiedon in Dataverse; the row version tells them apart.
    expect(String(after.modifiedon) >= String(before.modifiedon)).toBe(true);
    expect(after.modifiedon).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("answers a stale If-Match with 412 and Dataverse's code, leaving the row alone", async () => {
    const response = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { lastname: "Nope" }, headers: { "If-Match": 'W/"1"' } });
    expect(response.status).toBe(412);
    expect(response.json.error.code).toBe("0x80060882");
    expect(sim.store.get("contacts", guid(1))!.lastname).toBe("Lie");
  });

  it("upserts by alternate key: creates, then updates the same row, never a duplicate", async () => {
    const first = await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-O''Neil')", { body: { firstname: "Una" } });
    expect(first.status).toBe(204);
    const second = await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-O''Neil')", { body: { firstname: "Una B" } });
    expect(second.status).toBe(204);
    expect(second.headers.get("odata-entityid")).toBe(first.headers.get("odata-entityid"));
    const rows = sim.store.list("contacts").filter((row) => row.hlf_meanderid === "m-O'Neil");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.firstname).toBe("Una B");
    expect(sim.counters().byKind.upsert).toBe(2);
  });

  it("honours If-None-Match: * (create only) and If-Match: * (update only)", async () => {
    const createOnly = await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-1')", { body: { firstname: "X" }, headers: { "If-None-Match": "*" } });
    expect(createOnly.status).toBe(412);
    expect(createOnly.json.error.code).toBe("0x80040237");
    const updateOnly = await api(sim, token, "PATCH", "contacts(hlf_meanderid='m-missing')", { body: { firstname: "X" }, headers: { "If-Match": "*" } });
    expect(updateOnly.status).toBe(404);
    expect(updateOnly.json.error.code).toBe("0x80040217");
    expect(sim.store.list("contacts").some((row) => row.hlf_meanderid === "m-missing")).toBe(false);
  });

  it("refuses a second row with the same alternate key value", async () => {
    const response = await api(sim, token, "POST", "contacts", { body: { firstname: "Dup", hlf_meanderid: "M-1" } });
    expect(response.status).toBe(412);
    expect(response.json.error.code).toBe("0x80040237");
  });

  it("returns the updated row with Prefer: return=representation and $select", async () => {
    const response = await api(sim, token, "PATCH", `contacts(${guid(1)})?$select=lastname`, {
      body: { lastname: "Lee" },
      headers: { Prefer: "return=representation" },
    });
    expect(response.status).toBe(200);
    expect(Object.keys(response.json).sort()).toEqual(["@odata.context", "@odata.etag", "contactid", "lastname"]);
  });

  it("counts a write that changes nothing as a noop write", async () => {
    sim.resetCounters();
    await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { lastname: "Lee", firstname: "Ann" } });
    await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { lastname: "Other" } });
    const counters = sim.counters();
    expect(counters.recordsWritten).toBe(2);
    expect(counters.noopWrites).toBe(1);
  });

  it("deletes with DELETE (If-Match checked) and 404s a missing row", async () => {
    const id = sim.store.create("contacts", { firstname: "Temp" });
    const stale = await api(sim, token, "DELETE", `contacts(${id})`, { headers: { "If-Match": 'W/"2"' } });
    expect(stale.status).toBe(412);
    const deleted = await api(sim, token, "DELETE", `contacts(${id})`);
    expect(deleted.status).toBe(204);
    expect(sim.store.get("contacts", id)).toBeUndefined();
    const again = await api(sim, token, "DELETE", `contacts(${id})`);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe("0x80040217");
  });

  it("stores lookups bound with @odata.bind as _name_value", async () => {
    const response = await api(sim, token, "POST", "hlf_likepersonactivities", {
      body: { hlf_name: "Visit", "hlf_ContactId@odata.bind": `/contacts(${guid(1)})`, hlf_meanderid: "a-1" },
    });
    expect(response.status).toBe(204);
    const row = sim.store.list("hlf_likepersonactivities")[0];
    expect(row).toMatchObject({ hlf_name: "Visit", _hlf_contactid_value: guid(1) });
  });

  it("rejects a body that is not JSON with 400", async () => {
    const response = await api(sim, token, "POST", "contacts", { body: "{not json", headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toMatch(/^0x/);
  });
});
