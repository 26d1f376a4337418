import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataverseSim } from "../../sim/dataverse/index.js";
import { api, getToken, guid, startSim } from "./helpers.js";

describe("Dataverse simulator: queries", () => {
  let sim: DataverseSim;
  let token: string;

  beforeAll(async () => {
    sim = await startSim({ maxPageSize: 50 });
    token = await getToken(sim);
    sim.store.seed(
      "contacts",
      Array.from({ length: 23 }, (_, i) => ({
        contactid: guid(i + 1),
        firstname: `First${i + 1}`,
        lastname: i % 2 === 0 ? "Even" : "Odd",
        hlf_meanderid: `m-${i + 1}`,
        hlf_membernumber: 1000 + i,
      })),
    );
    sim.store.seed("contacts", [
      { contactid: guid(100), firstname: "Seamus", lastname: "O'Brien", hlf_meanderid: "m-obrien", emailaddress1: "Mixed.Case@Example.org" },
    ]);
  });
  afterAll(() => sim.close());

  it("pages with Prefer odata.maxpagesize, nextLink and $skiptoken until the last page", async () => {
    const seen: string[] = [];
    let url: string | undefined = "contacts?$select=firstname,lastname";
    let pages = 0;
    while (url) {
      const page = await api(sim, token, "GET", url, { headers: { Prefer: "odata.maxpagesize=10" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("preference-applied")).toBe("odata.maxpagesize=10");
      for (const row of page.json.value) {
        expect(Object.keys(row).sort()).toEqual(["@odata.etag", "contactid", "firstname", "lastname"]);
        expect(row["@odata.etag"]).toMatch(/^W\/"\d+"$/);
        seen.push(row.contactid);
      }
      url = page.json["@odata.nextLink"];
      if (url) expect(url).toMatch(new RegExp(`^${sim.url}/api/data/v9.2/contacts\\?\\$select=firstname,lastname&\\$skiptoken=`));
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(24);
    expect(new Set(seen).size).toBe(24);
  });

  it("caps the page size at the server's maximum", async () => {
    const page = await api(sim, token, "GET", "contacts?$select=firstname", { headers: { Prefer: "odata.maxpagesize=5000" } });
    expect(page.json.value).toHaveLength(24);
    const capped = await startSim({ maxPageSize: 7 });
    try {
      const t = await getToken(capped);
      capped.store.seed(
        "contacts",
        Array.from({ length: 9 }, (_, i) => ({ firstname: `x${i}` })),
      );
      const first = await api(capped, t, "GET", "contacts");
      expect(first.json.value).toHaveLength(7);
      expect(first.json["@odata.nextLink"]).toBeTruthy();
    } finally {
      await capped.close();
    }
  });

  it("filters with eq/ne/and/or/parentheses, case-insensitively, and doubled quotes", async () => {
    const q = (filter: string) => api(sim, token, "GET", `contacts?$select=contactid&$filter=${encodeURIComponent(filter)}`);
    expect((await q("lastname eq 'o''brien'")).json.value.map((r: { contactid: string }) => r.contactid)).toEqual([guid(100)]);
    expect((await q("emailaddress1 eq 'mixed.case@example.ORG'")).json.value).toHaveLength(1);
    expect((await q("lastname eq 'Even' and (hlf_membernumber eq 1000 or hlf_membernumber eq 1002)")).json.value).toHaveLength(2);
    expect((await q("lastname ne 'Even' and lastname ne 'Odd'")).json.value).toHaveLength(1);
    expect((await q("emailaddress1 ne null")).json.value).toHaveLength(1);
    expect((await q(`contactid eq ${guid(5).toUpperCase()}`)).json.value).toHaveLength(1);
    expect((await q("hlf_membernumber ge 1020")).json.value).toHaveLength(3);
    expect((await q("startswith(firstname,'first2')")).json.value).toHaveLength(5);
  });

  it("answers a long or-chain of lookups (the adapter's chunked findByField) exactly", async () => {
    const wanted = [3, 7, 11, 19].map((n) => `m-${n}`);
    const filter = [
      ...wanted.map((id) => `hlf_meanderid eq '${id.toUpperCase()}'`),
      "hlf_meanderid eq 'm-none'",
      "lastname eq 'o''brien'",
      "hlf_membernumber eq 1000",
    ].join(" or ");
    const response = await api(sim, token, "GET", `contacts?$select=hlf_meanderid&$filter=${encodeURIComponent(filter)}`);
    expect(response.json.value.map((r: { hlf_meanderid: string }) => r.hlf_meanderid).sort()).toEqual(["m-1", "m-11", "m-19", "m-3", "m-7", "m-obrien"]);
  });

  it("finds nothing for a hostile literal that is escaped, and rejects it unescaped", async () => {
    const hostile = "x' or 1 eq 1 or 'a' eq 'a";
    const escaped = await api(sim, token, "GET", `contacts?$filter=${encodeURIComponent(`hlf_meanderid eq '${hostile.replaceAll("'", "''")}'`)}`);
    expect(escaped.status).toBe(200);
    expect(escaped.json.value).toEqual([]);
    const raw = await api(sim, token, "GET", `contacts?$filter=${encodeURIComponent(`hlf_meanderid eq '${hostile}'`)}`);
    expect(raw.status).toBe(400);
    expect(raw.json.error.code).toBe("0x80060888");
    expect(raw.json.error.message).not.toContain("or 1 eq 1");
  });

  it("answers an invalid $filter with 400 and a code", async () => {
    for (const filter of ["lastname eq 'unterminated", "lastname eq", "(lastname eq 'a'", "lastname like 'a'"]) {
      const response = await api(sim, token, "GET", `contacts?$filter=${encodeURIComponent(filter)}`);
      expect(response.status).toBe(400);
      expect(response.json.error.code).toBe("0x80060888");
    }
  });

  it("applies $top and $orderby", async () => {
    const response = await api(sim, token, "GET", "contacts?$select=hlf_membernumber&$orderby=hlf_membernumber desc&$top=3");
    expect(response.json.value.map((r: { hlf_membernumber: number }) => r.hlf_membernumber)).toEqual([1022, 1021, 1020]);
    expect(response.json["@odata.nextLink"]).toBeUndefined();
  });

  it("gets one row by id and by alternate key, and 404s with Dataverse's error", async () => {
    const byId = await api(sim, token, "GET", `contacts(${guid(3)})?$select=firstname`);
    expect(byId.status).toBe(200);
    expect(byId.json.firstname).toBe("First3");
    expect(byId.headers.get("etag")).toBe(byId.json["@odata.etag"]);
    const byKey = await api(sim, token, "GET", `contacts(hlf_meanderid='${encodeURIComponent("m-obrien")}')`);
    expect(byKey.json.contactid).toBe(guid(100));
    const missing = await api(sim, token, "GET", `contacts(${guid(999)})`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("0x80040217");
    const missingKey = await api(sim, token, "GET", "contacts(hlf_meanderid='nobody')");
    expect(missingKey.status).toBe(404);
    const unknownSet = await api(sim, token, "GET", "accounts");
    expect(unknownSet.status).toBe(404);
  });
});
