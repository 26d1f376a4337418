import { describe, expect, it } from "vitest";
import { applyFieldMappings } from "../../shared/core/mapping.js";
import type { FieldMapping } from "../../shared/core/types.js";
import { MappingError } from "../../shared/errors.js";

const person = {
  id: "lp-17",
  firstName: "  Kari ",
  contact: { email: "Kari.Nordmann@Example.no", mobile: "912 34 567" },
  hours: "1,5",
  status: "active",
  note: "",
  retired: null,
};

function thrown(f: () => unknown): MappingError {
  try {
    f();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error("expected a MappingError");
}

describe("applyFieldMappings", () => {
  it("maps dot paths both ways, transforms in order, then the value map", () => {
    const mappings: FieldMapping[] = [
      { source: "firstName", target: "firstname", transform: "trim" },
      { source: "contact.email", target: "emailaddress1", transform: ["trim", "lowercase"] },
      { source: "contact.mobile", target: "profile.phones.mobile", transform: "phone" },
      { source: "hours", target: "hlf_hours", transform: "number" },
      { source: "status", target: "hlf_status", transform: "uppercase", valueMap: { ACTIVE: 1, PAUSED: 2 } },
    ];
    expect(applyFieldMappings(person, mappings)).toEqual({
      firstname: "Kari",
      emailaddress1: "kari.nordmann@example.no",
      profile: { phones: { mobile: "+4791234567" } },
      hlf_hours: 1.5,
      hlf_status: 1,
    });
  });

  it("copies nothing that has no mapping", () => {
    expect(Object.keys(applyFieldMappings(person, [{ source: "firstName", target: "a" }]))).toEqual(["a"]);
  });

  it("keeps a cleared value as null, and maps missing and empty values to null", () => {
    const out = applyFieldMappings(person, [
      { source: "retired", target: "a" },
      { source: "note", target: "b" },
      { source: "nowhere.at.all", target: "c" },
      { source: "retired", target: "d", valueMap: { x: 1 } },
    ]);
    expect(out).toEqual({ a: null, b: null, c: null, d: null });
  });

  it("uses the default for undefined, null and empty text, and maps it like a source value", () => {
    const out = applyFieldMappings(person, [
      { source: "nowhere", target: "a", default: "active", valueMap: { active: 100000000 } },
      { source: "retired", target: "b", default: 0 },
      { source: "note", target: "c", default: " x ", transform: "trim" },
      { source: "firstName", target: "d", default: "unused", transform: "trim" },
    ]);
    expect(out).toEqual({ a: 100000000, b: 0, c: "x", d: "Kari" });
  });

  it("treats text that trims to nothing as missing", () => {
    expect(() => applyFieldMappings({ v: "   " }, [{ source: "v", target: "t", transform: "trim", required: true }])).toThrow(MappingError);
    expect(applyFieldMappings({ v: "   " }, [{ source: "v", target: "t", transform: "trim", default: "n/a" }])).toEqual({ t: "n/a" });
  });

  it.each([
    ["a missing required value", { source: "note", target: "t", required: true }, "note", "required"],
    ["a value outside the value map", { source: "status", target: "t", valueMap: { paused: 2 } }, "status", "value map"],
    ["text that is not a number", { source: "firstName", target: "t", transform: "number" }, "firstName", "number"],
    ["an unparseable phone", { source: "firstName", target: "t", transform: "phone" }, "firstName", "phone"],
    ["an unparseable date", { source: "contact.email", target: "t", transform: "dateOnly" }, "contact.email", "dateOnly"],
  ] as [string, FieldMapping, string, string][])("throws on %s, naming field and record, never the value", (_, mapping, field, problem) => {
    const error = thrown(() => applyFieldMappings(person, [mapping], { recordId: "lp-17" }));
    expect(error.field).toBe(field);
    expect(error.recordId).toBe("lp-17");
    expect(error.code).toBe("MAPPING_FAILED");
    expect(error.kind).toBe("record");
    expect(error.message).toContain(field);
    expect(error.message).toContain("lp-17");
    expect(error.message).toContain(problem);
    for (const value of ["Kari", "Nordmann", "Example", "912", "active"]) expect(error.message).not.toContain(value);
  });

  it("keeps an OData annotation with its property instead of nesting it", () => {
    expect(applyFieldMappings({ a: { b: "/contacts(1)" } }, [{ source: "a.b", target: "hlf_contactid@odata.bind" }])).toEqual({
      "hlf_contactid@odata.bind": "/contacts(1)",
    });
  });

  it("does not match value-map keys inherited from Object.prototype", () => {
    expect(() => applyFieldMappings({ v: "constructor" }, [{ source: "v", target: "t", valueMap: { a: 1 } }])).toThrow(MappingError);
  });

  it("refuses paths that would reach an object's prototype", () => {
    expect(() => applyFieldMappings({ v: 1 }, [{ source: "v", target: "__proto__.polluted" }])).toThrow(MappingError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("is pure: the source is not changed", () => {
    const source = structuredClone(person);
    applyFieldMappings(source, [{ source: "firstName", target: "firstName", transform: "trim" }]);
    expect(source).toEqual(person);
  });
});
