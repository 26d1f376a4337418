import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

type Row = Record<string, unknown>;

describe("Dataverse simulator: change tracking", () => {
  let sim: DataverseSim;
  let token: string;

  beforeEach(async () => {
    sim = await startSim();
    token = await getToken(sim);
    sim.store.seed(
      "contacts",
      Array.from({ length: 5 }, (_, i) => ({ contactid: guid(i + 1), firstname: `F${i + 1}`, hlf_meanderid: `m-${i + 1}` })),
    );
  });
  afterEach(() => sim.close());

  /** Follows nextLinks from `first`; returns every row and the final deltaLink. */
  async function drain(first: string, pageSize?: number): Promise<{ rows: Row[]; deltaLink: string; pages: number }> {
    const headers: Record<string, string> = { Prefer: `odata.track-changes${pageSize ? `,odata.maxpagesize=${pageSize}` : ""}` };
    const rows: Row[] = [];
    let url = first;
    let pages = 0;
    for (;;) {
      const page = await api(sim, token, "GET", url, { headers });
      expect(page.status).toBe(200);
      rows.push(...page.json.value);
      pages++;
      if (page.json["@odata.nextLink"]) {
        url = page.json["@odata.nextLink"];
        continue;
      }
      expect(page.json["@odata.deltaLink"]).toContain("$deltatoken=");
      return { rows, deltaLink: page.json["@odata.deltaLink"], pages };
    }
  }

  it("a tracked read ends with a deltaLink and Preference-Applied", async () => {
    const first = await api(sim, token, "GET", "contacts?$select=firstname", { headers: { Prefer: "odata.track-changes" } });
    expect(first.headers.get("preference-applied")).toContain("odata.track-changes");
    expect(first.json.value).toHaveLength(5);
    expect(first.json["@odata.deltaLink"]).toMatch(new RegExp(`^${sim.url}/api/data/v9.2/contacts\\?\\$select=firstname&\\$deltatoken=`));
  });

  it("the delta link returns rows changed since, full rows with ETags, and deletions", async () => {
    const initial = await drain("contacts?$select=firstname,hlf_meanderid");
    const before = initial.rows.find((r) => r.contactid === guid(2))!;
    sim.store.edit("contacts", guid(2), { firstname: "Changed" });
    sim.store.remove("contacts", guid(4));
    const created = sim.store.create("contacts", { firstname: "New", hlf_meanderid: "m-new" });

    const delta = await drain(initial.deltaLink);
    const changed = delta.rows.filter((r) => !r.reason);
    expect(changed.map((r) => r.contactid).sort()).toEqual([guid(2), created].sort());
    const edited = changed.find((r) => r.contactid === guid(2))!;
    expect(edited).toMatchObject({ firstname: "Changed", hlf_meanderid: "m-2" });
    expect(edited["@odata.etag"]).not.toBe(before["@odata.etag"]);
    const deleted = delta.rows.filter((r) => r.reason === "deleted");
    expect(deleted).toEqual([{ "@odata.context": `${sim.url}/api/data/v9.2/$metadata#contacts/$deletedEntity`, id: guid(4), reason: "deleted" }]);

    const quiet = await drain(delta.deltaLink);
    expect(quiet.rows).toEqual([]);
  });

  it("pages a large delta with nextLinks and loses nothing written while paging", async () => {
    const initial = await drain("contacts?$select=firstname");
    for (let i = 0; i < 12; i++) sim.store.create("contacts", { firstname: `bulk${i}` });
    sim.store.remove("contacts", guid(1));
    const firstPage = await api(sim, token, "GET", initial.deltaLink, { headers: { Prefer: "odata.maxpagesize=5" } });
    expect(firstPage.json.value).toHaveLength(5);
    // A change made between pages belongs to the next delta, not this one.
    sim.store.edit("contacts", guid(3), { firstname: "during paging" });
    const rest = await drain(firstPage.json["@odata.nextLink"], 5);
    expect(firstPage.json.value.length + rest.rows.length).toBe(13);
    const next = await drain(rest.deltaLink);
    expect(next.rows.map((r) => r.firstname)).toEqual(["during paging"]);
  });

  it("an expired or unknown delta token gets Dataverse's ExpiredVersionStamp error", async () => {
    const initial = await drain("contacts?$select=firstname");
    sim.store.expireDeltaTokens();
    const expired = await api(sim, token, "GET", initial.deltaLink);
    expect(expired.status).toBe(400);
    expect(expired.json.error.code).toBe("0x80044352");
    const bogus = await api(sim, token, "GET", "contacts?$deltatoken=12345!garbage");
    expect(bogus.status).toBe(400);
    expect(bogus.json.error.code).toBe("0x80044352");
    const fresh = await drain("contacts?$select=firstname");
    expect(fresh.rows).toHaveLength(5);
  });

  it("delta tokens expire after deltaTokenLifetimeMs", async () => {
    const shortLived = await startSim({ deltaTokenLifetimeMs: 50 });
    try {
      const t = await getToken(shortLived);
      const first = await api(shortLived, t, "GET", "contacts", { headers: { Prefer: "odata.track-changes" } });
      const fresh = await api(shortLived, t, "GET", first.json["@odata.deltaLink"]);
      expect(fresh.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const stale = await api(shortLived, t, "GET", first.json["@odata.deltaLink"]);
      expect(stale.json.error.code).toBe("0x80044352");
    } finally {
      await shortLived.close();
    }
  });

  it("rejects $filter with change tracking, as Dataverse does", async () => {
    const response = await api(sim, token, "GET", "contacts?$filter=firstname eq 'F1'", { headers: { Prefer: "odata.track-changes" } });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe("0x80060888");
  });

  it("counts tracked reads as get and delta links as delta", async () => {
    const initial = await drain("contacts");
    await drain(initial.deltaLink);
    const counters = sim.counters();
    expect(counters.byKind.get).toBe(1);
    expect(counters.byKind.delta).toBe(1);
  });
});
