/**
 * The run's claims (shared/sync/claims.ts): a record paired or being created in this run is
 * never offered to anyone else. Kept per side by the record's own id, so the same id on both
 * sides (Meander and the portal number records independently) names two records.
 */
import { describe, expect, it } from "vitest";
import { Claims } from "../../shared/sync/claims.js";

const m = (id: string) => ({ side: "meander" as const, id });
const p = (id: string) => ({ side: "portal" as const, id });

describe("Claims", () => {
  it("a coupled record is claimed for anyone but its partner, on each side", () => {
    const claims = new Claims();
    claims.couple(m("1"), p("A"));
    expect(claims.claimedByOther("portal", "A", m("1"))).toBe(false);
    expect(claims.claimedByOther("portal", "A", m("2"))).toBe(true);
    expect(claims.claimedByOther("meander", "1", p("A"))).toBe(false);
    expect(claims.claimedByOther("meander", "1", p("B"))).toBe(true);
    expect(claims.claimedByOther("portal", "B", m("2"))).toBe(false);
  });

  it("the same id on both sides names two records", () => {
    const claims = new Claims();
    claims.couple(m("7"), p("9"));
    // Portal record 7 is not Meander record 7: unclaimed.
    expect(claims.claimedByOther("portal", "7", m("1"))).toBe(false);
    // Meander record 9 asking about portal 9: claimed by Meander record 7, not by it.
    expect(claims.claimedByOther("portal", "9", m("9"))).toBe(true);
    expect(claims.claimedByOther("portal", "9", m("7"))).toBe(false);
  });

  it("a record getting a partner created is claimed for everyone but itself", () => {
    const claims = new Claims();
    claims.creating(m("5"));
    expect(claims.claimedByOther("meander", "5", p("5"))).toBe(true);
    expect(claims.claimedByOther("meander", "5", p("X"))).toBe(true);
    expect(claims.claimedByOther("meander", "5", m("5"))).toBe(false);
    // Coupled afterwards (the created partner answered): its partner only.
    claims.couple(m("5"), p("N"));
    expect(claims.claimedByOther("meander", "5", p("N"))).toBe(false);
    expect(claims.claimedByOther("meander", "5", p("5"))).toBe(true);
  });
});
