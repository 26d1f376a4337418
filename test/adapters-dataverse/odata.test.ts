import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  alternateKeySegment,
  CLIENT_PATH_LIMIT,
  chunkFilters,
  composedPath,
  equalsClause,
  isSafeKeyValue,
  stringLiteral,
} from "../../shared/adapters/dataverse/odata.js";
import { columnsFor, coversColumns } from "../../shared/adapters/dataverse/read.js";
import { columns, deletedId, fromCursor, toCursor, toSideRecord } from "../../shared/adapters/dataverse/records.js";

const ROOT = "https://org.example.com/api/data/v9.2/";

describe("filter literals", () => {
  it("doubles single quotes so a value can never close the literal", () => {
    expect(stringLiteral("O'Brien")).toBe("'O''Brien'");
    expect(equalsClause("emailaddress1", "x' or 1 eq 1 or 'a' eq 'a", false)).toBe("emailaddress1 eq 'x'' or 1 eq 1 or ''a'' eq ''a'");
  });

  it("takes only well-formed GUIDs for id and lookup columns", () => {
    expect(equalsClause("contactid", "7D577253-3EF0-4A0A-BB7F-8335C2596E70", true)).toBe("contactid eq 7d577253-3ef0-4a0a-bb7f-8335c2596e70");
    expect(equalsClause("contactid", "7d577253) or (1 eq 1", true)).toBeUndefined();
    expect(equalsClause("contactid", 5, true)).toBeUndefined();
  });

  it("writes numbers, booleans and null bare, and refuses a column name that is not one", () => {
    expect(equalsClause("hlf_membernumber", 42, false)).toBe("hlf_membernumber eq 42");
    expect(equalsClause("donotemail", true, false)).toBe("donotemail eq true");
    expect(equalsClause("telephone1", null, false)).toBe("telephone1 eq null");
    expect(equalsClause("x", Number.NaN, false)).toBeUndefined();
    expect(() => equalsClause("a eq 1 or b", "x", false)).toThrow();
  });

  it("every string round-trips through the literal: strip the quotes, undouble, get the input", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const literal = stringLiteral(value);
        const inner = literal.slice(1, -1);
        expect(inner.replace(/''/g, "'")).toBe(value);
        // No lone quote inside: every quote is doubled.
        expect(inner.replace(/''/g, "")).not.toContain("'");
      }),
    );
  });
});

describe("chunkFilters", () => {
  it("keeps every composed path under the client's batch-conversion limit and loses no clause", () => {
    const clauses = Array.from({ length: 400 }, (_, i) => equalsClause("emailaddress1", `person${i}+tag@example.no`, false)!);
    const select = ["contactid", "modifiedon", "emailaddress1", "firstname", "lastname"];
    const filters = chunkFilters("contacts", select, clauses);
    expect(filters.length).toBeGreaterThan(1);
    for (const filter of filters) expect(composedPath("contacts", select, filter).length).toBeLessThanOrEqual(1950);
    expect(filters.flatMap((f) => f.split(" or "))).toEqual(clauses);
  });

  it("puts an over-long single clause alone rather than dropping it", () => {
    const long = equalsClause("description", "x".repeat(CLIENT_PATH_LIMIT), false)!;
    expect(chunkFilters("contacts", undefined, ["a eq 1", long, "b eq 2"])).toEqual(["a eq 1", long, "b eq 2"]);
  });
});

describe("alternate keys", () => {
  it("lets letters (æøå too), digits and - _ . through, and nothing Dataverse fails on", () => {
    expect(isSafeKeyValue("m-123_abc.7")).toBe(true);
    expect(isSafeKeyValue("blåbær")).toBe(true);
    for (const bad of ["a/b", "a<b", "a>b", "a*b", "a%b", "a&b", "a:b", "a\\b", "a?b", "a+b", "a,b", "a'b", 'a"b', "a b", "a#b", ""]) {
      expect(isSafeKeyValue(bad), bad).toBe(false);
    }
    expect(alternateKeySegment("hlf_meanderid", "blåbær")).toBe("hlf_meanderid='bl%C3%A5b%C3%A6r'");
    expect(alternateKeySegment("hlf_meanderid", "a&b")).toBeUndefined();
  });
});

describe("records and cursors", () => {
  it("makes a SideRecord: id, etag as version, modifiedon, columns without annotations, dates as strings", () => {
    const row = {
      "@odata.etag": 'W/"1234"',
      contactid: "7d577253-3ef0-4a0a-bb7f-8335c2596e70",
      modifiedon: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      firstname: "Kari",
      "_parentcustomerid_value@OData.Community.Display.V1.FormattedValue": "HLF",
    };
    expect(toSideRecord(row, "contactid")).toEqual({
      id: "7d577253-3ef0-4a0a-bb7f-8335c2596e70",
      version: 'W/"1234"',
      modifiedOn: "2026-01-02T03:04:05Z",
      data: { contactid: "7d577253-3ef0-4a0a-bb7f-8335c2596e70", modifiedon: "2026-01-02T03:04:05Z", firstname: "Kari" },
    });
    expect(columns({ "@odata.context": "x", a: 1 })).toEqual({ a: 1 });
  });

  it("recognises $deletedEntity rows", () => {
    expect(deletedId({ "@odata.context": `${ROOT}$metadata#contacts/$deletedEntity`, id: "abc", reason: "deleted" })).toBe("abc");
    expect(deletedId({ contactid: "abc" })).toBeUndefined();
  });

  it("stores cursors relative to the API root and only accepts them for their own entity set", () => {
    const link = `${ROOT}contacts?$select=contactid&$deltatoken=919042%2108`;
    const cursor = toCursor(link, ROOT);
    expect(cursor).toBe("contacts?$select=contactid&$deltatoken=919042%2108");
    // The local stack on another port: the same cursor still works.
    expect(toCursor("https://127.0.0.1:1234/api/data/v9.2/contacts?$deltatoken=1", ROOT)).toBe("contacts?$deltatoken=1");
    expect(fromCursor(cursor, ROOT, "contacts")).toBe(link);
    expect(fromCursor(cursor, ROOT, "hlf_likepersonactivities")).toBeUndefined();
    expect(fromCursor("garbage", ROOT, "contacts")).toBeUndefined();
  });

  it("a delta link covers the wanted columns only if it selected all of them", () => {
    const link = `${ROOT}contacts?$select=contactid,modifiedon,firstname&$deltatoken=1`;
    expect(coversColumns(link, ["contactid", "firstname"])).toBe(true);
    expect(coversColumns(link, ["contactid", "firstname", "lastname"])).toBe(false);
    expect(coversColumns(link, undefined)).toBe(false);
    expect(coversColumns(`${ROOT}contacts?$deltatoken=1`, ["anything"])).toBe(true);
  });

  it("always selects the id and modifiedon when columns are chosen", () => {
    expect(columnsFor({ idField: "contactid" }, ["firstname"])).toEqual(["contactid", "modifiedon", "firstname"]);
    expect(columnsFor({ idField: "contactid" })).toBeUndefined();
  });
});
