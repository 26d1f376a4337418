import { describe, expect, it } from "vitest";
import { applyTransforms, TRANSFORMS, TransformFailure } from "../../shared/core/transforms.js";
import type { TransformName } from "../../shared/core/types.js";

const good: [TransformName, unknown, unknown][] = [
  ["trim", "  Kari  ", "Kari"],
  ["trim", "a\tb\n", "a\tb"],
  ["trim", 42, 42],
  ["lowercase", "Kari@Example.NO", "kari@example.no"],
  ["lowercase", "ÆØÅ", "æøå"],
  ["lowercase", true, true],
  ["uppercase", "oslo", "OSLO"],
  ["uppercase", 7, 7],
  ["phone", "+47 912 34 567", "+4791234567"],
  ["phone", "0047 912 34 567", "+4791234567"],
  ["phone", "912 34 567", "+4791234567"],
  ["phone", "91234567", "+4791234567"],
  ["phone", 91234567, "+4791234567"],
  ["phone", "912-34-567", "+4791234567"],
  ["phone", "(+47) 91 23 45 67", "+4791234567"],
  ["phone", "+46 70 123 45 67", "+46701234567"],
  ["phone", "0046701234567", "+46701234567"],
  ["phone", "+4791234567", "+4791234567"],
  ["dateOnly", "2024-03-05", "2024-03-05"],
  ["dateOnly", "2024-03-05T23:30:00-01:00", "2024-03-05"],
  ["dateOnly", "2024-03-05T10:00:00.123Z", "2024-03-05"],
  ["dateOnly", "2024-02-29", "2024-02-29"],
  ["dateOnly", new Date("2024-03-05T12:00:00Z"), "2024-03-05"],
  ["number", "12", 12],
  ["number", " 1.5 ", 1.5],
  ["number", "1,5", 1.5],
  ["number", "-3", -3],
  ["number", "1e3", 1000],
  ["number", 2.25, 2.25],
  ["boolean", true, true],
  ["boolean", "false", false],
  ["boolean", " Yes ", true],
  ["boolean", "nei", false],
  ["boolean", "1", true],
  ["boolean", 0, false],
];

const bad: [TransformName, unknown][] = [
  ["phone", "abc"],
  ["phone", "1234"],
  ["phone", "+47 912 34 56"],
  ["phone", "+47 912 34 5678"],
  ["phone", "12345678901"],
  ["phone", "+0 123 456 789"],
  ["phone", "+1234567890123456"],
  ["phone", true],
  ["dateOnly", "2024-02-30"],
  ["dateOnly", "2023-02-29"],
  ["dateOnly", "05.03.2024"],
  ["dateOnly", "2024-13-01"],
  ["dateOnly", "yesterday"],
  ["dateOnly", 20240305],
  ["dateOnly", new Date("nope")],
  ["number", "abc"],
  ["number", "12abc"],
  ["number", "1.2.3"],
  ["number", true],
  ["number", Number.NaN],
  ["number", Number.POSITIVE_INFINITY],
  ["boolean", "maybe"],
  ["boolean", 2],
  ["boolean", "2"],
];

describe("transforms", () => {
  it.each(good)("%s accepts %j", (name, input, expected) => {
    expect(TRANSFORMS[name](input)).toEqual(expected);
  });

  it.each(good)("%s is idempotent on %j", (name, input) => {
    const once = TRANSFORMS[name](input);
    expect(TRANSFORMS[name](once)).toEqual(once);
  });

  it.each(bad)("%s rejects %j", (name, input) => {
    expect(() => TRANSFORMS[name](input)).toThrow(TransformFailure);
  });

  it("applies a list in order", () => {
    expect(applyTransforms("  KARI@X.NO ", ["trim", "lowercase"])).toBe("kari@x.no");
    expect(applyTransforms(" 7 ", ["trim", "number"])).toBe(7);
    expect(applyTransforms("x", undefined)).toBe("x");
  });

  it("names the transform, not the value, when it fails", () => {
    try {
      TRANSFORMS.phone("Kari Nordmann");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("phone");
      expect((error as Error).message).not.toContain("Kari");
    }
  });
});
