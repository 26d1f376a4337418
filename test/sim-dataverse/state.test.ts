import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

const contactRef = (id: string) => ({ "@odata.type": "Microsoft.Dynamics.CRM.contact", contactid: id });

describe("Dataverse simulator: state, Merge, plug-ins and record-level faults", () => {
  let sim: DataverseSim;
  let token: string;

  beforeAll(async () => {
    sim = await startSim();
    token = await getToken(sim);
    sim.store.seed(
      "contacts",
      [1, 2, 3, 4].map((n) => ({ contactid: guid(n), firstname: `F${n}`, lastname: "L", hlf_meanderid: `m-${n}` })),
    );
  });
  afterEach(() => sim.plugins.clear());
  afterAll(() => sim.close());

  it("a new record is Active with the default status reason", async () => {
    const created = await api(sim, token, "POST", "contacts", { body: { firstname: "New" }, headers: { Prefer: "return=representation" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ statecode: 0, statuscode: 1 });
    expect(sim.store.get("contacts", guid(1))).toMatchObject({ statecode: 0, statuscode: 1 });
  });

  it("sets the state by a PATCH of the pair; a state alone gets its default status; a status of another state is refused", async () => {
    const deactivate = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { statecode: 1, statuscode: 2 } });
    expect(deactivate.status).toBe(204);
    expect(sim.store.get("contacts", guid(1))).toMatchObject({ statecode: 1, statuscode: 2 });

    const reactivate = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body: { statecode: 0 } });
    expect(reactivate.status).toBe(204);
    expect(sim.store.get("contacts", guid(1))).toMatchObject({ statecode: 0, statuscode: 1 });

    const before = sim.store.get("contacts", guid(1))!;
    for (const body of [{ statecode: 0, statuscode: 2 }, { statuscode: 2 }, { statecode: 7 }]) {
      const refused = await api(sim, token, "PATCH", `contacts(${guid(1)})`, { body });
      expect(refused.status).toBe(400);
      expect(refused.json.error.code).toBe("0x80048408");
    }
    expect(sim.store.get("contacts", guid(1))!.versionnumber).toBe(before.versionnumber);
  });

  it("Merge: the subordinate is deactivated, merged, and names the target as its master; the target takes UpdateContent", async () => {
    const activity = await api(sim, token, "POST", "hlf_likepersonactivities", {
      body: { hlf_name: "Visit", "hlf_ContactId@odata.bind": `/contacts(${guid(3)})` },
      headers: { Prefer: "return=representation" },
    });
    expect(activity.status).toBe(201);
    const targetVersion = Number(sim.store.get("contacts", guid(2))!.versionnumber);
    const merged = await api(sim, token, "POST", "Merge", {
      body: { Target: contactRef(guid(2)), Subordinate: contactRef(guid(3)), UpdateContent: { jobtitle: "Likeperson" }, PerformParentingChecks: false },
    });
    expect(merged.status).toBe(204);
    expect(sim.store.get("contacts", guid(3))).toMatchObject({ statecode: 1, statuscode: 2, merged: true, _masterid_value: guid(2) });
    const target = sim.store.get("contacts", guid(2))!;
    expect(target).toMatchObject({ jobtitle: "Likeperson", statecode: 0 });
    expect(Number(target.versionnumber)).toBeGreaterThan(targetVersion);
    // Records that looked up the subordinate now look up the master.
    const id = activity.json.hlf_likepersonactivityid as string;
    expect(sim.store.get("hlf_likepersonactivities", id)?._hlf_contactid_value).toBe(guid(2));

    const again = await api(sim, token, "POST", "Merge", { body: { Target: contactRef(guid(2)), Subordinate: contactRef(guid(3)) } });
    expect(again.status).toBe(400);
    const missing = await api(sim, token, "POST", "Merge", { body: { Target: contactRef(guid(2)), Subordinate: contactRef(guid(99)) } });
    expect(missing.status).toBe(404);
  });

  it("a plug-in rewrites a column on write, in the stored record and in the representation returned", async () => {
    sim.plugins.add({
      entitySet: "contacts",
      column: "address1_postalcode",
      rewrite: (value) => (typeof value === "string" ? value.replace(/\s+/g, "") : value),
    });
    const response = await api(sim, token, "PATCH", `contacts(${guid(4)})?$select=address1_postalcode`, {
      body: { address1_postalcode: " 01 50 " },
      headers: { Prefer: "return=representation" },
    });
    expect(response.status).toBe(200);
    expect(response.json.address1_postalcode).toBe("0150");
    expect(sim.store.get("contacts", guid(4))!.address1_postalcode).toBe("0150");
    // Columns the plug-in is not registered on are left as written.
    await api(sim, token, "PATCH", `contacts(${guid(4)})`, { body: { address1_city: " Oslo " } });
    expect(sim.store.get("contacts", guid(4))!.address1_city).toBe(" Oslo ");
  });

  it("a record-level fault fails that record every time with Dataverse's code, the others in the batch go through", async () => {
    sim.plugins.failRecords({ entitySet: "contacts", when: (row) => row.hlf_meanderid === "m-4" });
    sim.plugins.failRecords({ entitySet: "contacts", when: (row) => row.lastname === "Dup", code: "0x80040333" });
    for (let attempt = 0; attempt < 2; attempt++) {
      const failed = await api(sim, token, "PATCH", `contacts(${guid(4)})`, { body: { firstname: "Nope" } });
      expect(failed.status).toBe(500);
      expect(failed.json.error.code).toBe("0x80040265");
    }
    expect(sim.store.get("contacts", guid(4))!.firstname).toBe("F4");
    const duplicate = await api(sim, token, "POST", "contacts", { body: { firstname: "D", lastname: "Dup" } });
    expect(duplicate.status).toBe(500);
    expect(duplicate.json.error.code).toBe("0x80040333");
    expect(sim.store.list("contacts").some((row) => row.lastname === "Dup")).toBe(false);
  });
});
