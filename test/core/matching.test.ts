import { describe, expect, it } from "vitest";
import { findPartner, inScope, keyVariants, normalizeKey } from "../../shared/core/matching.js";
import { planPair, planUnlinked } from "../../shared/core/planner.js";
import { ambiguousPlan, massDeleteGuard, summarizePlans } from "../../shared/core/planSummary.js";
import type { PairPlan, SideRecord } from "../../shared/core/types.js";
import { kari, likepersons, meanderData, portalData } from "./fixtures.js";

describe("normalizeKey", () => {
  it.each([
    ["email", "  Kari@Example.NO ", "kari@example.no"],
    ["email", "", undefined],
    ["phone", "912 34 567", "+4791234567"],
    ["phone", "0047 91234567", "+4791234567"],
    ["phone", "not a phone", undefined],
    ["memberNumber", " 0012345 ", "12345"],
    ["memberNumber", 12345, "12345"],
    ["memberNumber", "000", undefined],
    ["memberNumber", null, undefined],
    ["none", "  X-1 ", "X-1"],
    ["none", { nested: true }, undefined],
  ] as const)("%s %j → %j", (kind, value, expected) => {
    expect(normalizeKey(kind, value)).toBe(expected);
  });
});

describe("keyVariants", () => {
  it("member numbers with and without leading zeros, padded to 6, 7 and 8 digits", () => {
    expect(keyVariants("memberNumber", "0012345")).toEqual(["0012345", "12345", "012345", "00012345"]);
    expect(keyVariants("memberNumber", "12345678")).toEqual(["12345678"]);
  });
  it("e-mail as typed and lower-case", () => {
    expect(keyVariants("email", " Kari@X.no ")).toEqual(["Kari@X.no", "kari@x.no"]);
  });
  it("Norwegian phone numbers in the ways people type them", () => {
    expect(keyVariants("phone", "91234567")).toEqual(["91234567", "+4791234567", "004791234567", "+47 91234567", "912 34 567", "91 23 45 67"]);
  });
  it("nothing for a value that is no key", () => {
    expect(keyVariants("phone", "n/a")).toEqual([]);
  });
});

describe("inScope", () => {
  it.each([
    [[{ field: "hlf_likepersonstatus", op: "notNull" }], { hlf_likepersonstatus: 100000000 }, true],
    [[{ field: "hlf_likepersonstatus", op: "notNull" }], { hlf_likepersonstatus: null }, false],
    [[{ field: "hlf_likepersonstatus", op: "notNull" }], {}, false],
    [[{ field: "status", op: "eq", value: "active" }], { status: "active" }, true],
    [[{ field: "status", op: "in", values: ["paused", "retired"] }], { status: "active" }, false],
    [[{ field: "a.b", op: "eq", value: 1 }], { a: { b: 1 } }, true],
    [[], {}, true],
  ] as const)("%j on %j → %s", (filters, data, expected) => {
    expect(inScope(filters, data)).toBe(expected);
  });
});

const contact = (id: string, changes: Record<string, unknown> = {}): SideRecord => ({ id, data: { ...portalData(id, kari), ...changes } });
const profile = (id: string, changes: Record<string, unknown> = {}): SideRecord => ({ id, data: { ...meanderData(id, kari), ...changes } });
const none = new Set<string>();

describe("findPartner", () => {
  it("prefers the link field over match keys", () => {
    const result = findPartner(likepersons, "meander", profile("m-1"), [contact("p-9"), contact("p-2", { hlf_meanderid: "m-1", hlf_membernumber: "1" })], none);
    expect(result).toMatchObject({ kind: "one", by: "linkField", partner: { id: "p-2" } });
  });

  it("finds by the record's own link field (Meander portalContactId)", () => {
    const result = findPartner(likepersons, "meander", profile("m-1", { portalContactId: "P-2" }), [contact("p-2", { hlf_membernumber: "x" })], none);
    expect(result).toMatchObject({ kind: "one", by: "linkField" });
  });

  it("matches member numbers across leading zeros, then e-mail case-insensitively", () => {
    expect(findPartner(likepersons, "meander", profile("m-1", { memberNumber: "0012345" }), [contact("p-1")], none)).toMatchObject({
      kind: "one",
      by: "memberNumber",
    });
    const byEmail = findPartner(
      likepersons,
      "portal",
      contact("p-1", { hlf_membernumber: null, emailaddress1: "KARI.NORDMANN@example.no" }),
      [profile("m-1", { memberNumber: "999" })],
      none,
    );
    expect(byEmail).toMatchObject({ kind: "one", by: "contact.email" });
  });

  it("lets the first key with any candidate decide", () => {
    const result = findPartner(
      likepersons,
      "meander",
      profile("m-1"),
      [contact("p-1", { emailaddress1: "other@x.no" }), contact("p-2", { hlf_membernumber: "5" })],
      none,
    );
    expect(result).toMatchObject({ kind: "one", by: "memberNumber", partner: { id: "p-1" } });
  });

  it("reports several candidates as ambiguous, never a guess", () => {
    const result = findPartner(likepersons, "meander", profile("m-1"), [contact("p-2"), contact("p-1"), contact("p-1")], none);
    expect(result).toEqual({ kind: "ambiguous", candidates: ["p-1", "p-2"], by: "memberNumber" });
  });

  it("never offers a candidate that is linked elsewhere or whose link field names another record", () => {
    expect(findPartner(likepersons, "meander", profile("m-1"), [contact("p-1"), contact("p-2")], new Set(["p-1"]))).toMatchObject({
      kind: "one",
      partner: { id: "p-2" },
    });
    expect(findPartner(likepersons, "meander", profile("m-1"), [contact("p-1", { hlf_meanderid: "m-7" })], none)).toEqual({ kind: "none" });
  });

  it("finds nothing without usable keys", () => {
    const bare = profile("m-1", { memberNumber: null, contact: { email: null, mobile: null } });
    expect(findPartner(likepersons, "meander", bare, [contact("p-1")], none)).toEqual({ kind: "none" });
  });
});

describe("plans around matching", () => {
  it("an ambiguous match plans nothing", () => {
    const plan = planUnlinked(likepersons, "meander", profile("m-1"), { kind: "ambiguous", candidates: ["p-1", "p-2"], by: "memberNumber" });
    expect(plan).toMatchObject({ outcome: "ambiguous", actions: [], key: "m:m-1", candidates: ["p-1", "p-2"] });
    expect(plan.nextLink).toBeUndefined();
  });

  it("no match creates, one match couples", () => {
    expect(planUnlinked(likepersons, "portal", contact("p-1"), { kind: "none" }).outcome).toBe("create");
    expect(planUnlinked(likepersons, "portal", contact("p-1"), { kind: "one", partner: profile("m-1"), by: "memberNumber", autoCouple: true }).outcome).toBe(
      "couple",
    );
  });
});

describe("massDeleteGuard and summarizePlans", () => {
  const deletePlan = (i: number): PairPlan => ({
    key: `m:m-${i}`,
    meanderId: `m-${i}`,
    portalId: `p-${i}`,
    outcome: "delete",
    actions: [{ kind: "delete", side: "portal", id: `p-${i}` }],
    parked: [],
    resolved: [],
    changedFields: {},
    nextLink: null,
  });
  const deletes = (n: number) => Array.from({ length: n }, (_, i) => deletePlan(i));

  it.each([
    [5, 100, false, 5],
    [6, 100, true, 5],
    [50, 2000, false, 50],
    [51, 2000, true, 50],
    [1, 10, true, 0],
    [0, 0, false, 0],
  ])("%i deletes of %i linked: blocked %s (limit %i)", (n, linked, blocked, limit) => {
    expect(massDeleteGuard(deletes(n), likepersons, linked)).toEqual({ blocked, deletes: n, limit });
  });

  it("summarises creates, updates, deletes and conflicts", () => {
    const create = planPair(likepersons, { meander: { state: "present", record: profile("m-1") }, portal: { state: "absent" } });
    const couple = planPair(likepersons, {
      meander: { state: "present", record: profile("m-2", { chapter: "Bergen", lastName: "Hansen" }) },
      portal: { state: "present", record: contact("p-2", { hlf_meanderid: null }) },
    });
    const ambiguous = ambiguousPlan("portal", contact("p-3"), ["m-3", "m-4"]);
    const summary = summarizePlans([create, couple, ambiguous, deletePlan(9)], { blocked: true });
    expect(summary).toEqual({
      creates: [{ side: "portal", sourceId: "m-1" }],
      updates: [
        { side: "meander", id: "m-2", fields: ["lastName"] },
        { side: "portal", id: "p-2", fields: ["hlf_meanderid"] },
      ],
      deletes: [{ side: "portal", id: "p-9" }],
      conflicts: [
        { meanderId: "m-2", portalId: "p-2", fields: ["chapter"], kind: "field" },
        { portalId: "p-3", fields: [], kind: "ambiguous" },
      ],
      massDeleteBlocked: true,
    });
  });
});
