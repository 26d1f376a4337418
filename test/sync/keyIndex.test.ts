/**
 * The held side's key index keys by a 32-bit hash of each normalised key: two different keys
 * can share one. The two e-mail addresses below do (FNV-1a); the index names both records, and
 * `sharesKey` tells the one that really shares the key from the other.
 */
import { describe, expect, it } from "vitest";
import { ChangeSet, sharesKey } from "../../shared/sync/changeSet.js";
import { COLLIDING, kari, likepersons, meanderRecord, portalRecord } from "../core/fixtures.js";

describe("the key index", () => {
  const held = new ChangeSet(likepersons, "portal");
  const a = portalRecord({ ...kari, email: COLLIDING[0], memberNumber: "70001" }, {}, "p-a");
  const other = portalRecord({ ...kari, email: "someone@example.org", memberNumber: "70002" }, {}, "p-other");
  held.addRecord(a);
  held.addRecord(other);

  it("names a record whose key only shares a hash, and sharesKey tells it apart", () => {
    const b = meanderRecord({ ...kari, email: COLLIDING[1], memberNumber: "70003" }, {}, "m-b");
    expect([...held.candidateIds(b)]).toEqual(["p-a"]);
    expect(sharesKey(likepersons, "portal", a, b)).toBe(false);
  });

  it("names the record with the same key (normalised), and sharesKey agrees", () => {
    const same = meanderRecord({ ...kari, email: COLLIDING[0].toUpperCase(), memberNumber: "70004" }, {}, "m-same");
    expect([...held.candidateIds(same)]).toEqual(["p-a"]);
    expect(sharesKey(likepersons, "portal", a, same)).toBe(true);
    const byNumber = meanderRecord({ ...kari, email: null, memberNumber: "070002" }, {}, "m-number");
    expect([...held.candidateIds(byNumber)]).toEqual(["p-other"]);
    expect(sharesKey(likepersons, "portal", other, byNumber)).toBe(true);
  });

  it("names the record whose link field names the other one", () => {
    const linked = portalRecord({ ...kari, email: null, memberNumber: null }, {}, "p-linked");
    const set = new ChangeSet(likepersons, "portal");
    set.addRecord({ ...linked, data: { ...linked.data, hlf_meanderid: "m-linked" } });
    const m = meanderRecord({ ...kari, email: null, memberNumber: null }, {}, "m-linked");
    expect([...set.candidateIds(m)]).toEqual(["p-linked"]);
    expect(sharesKey(likepersons, "portal", set.record("p-linked")!, m)).toBe(true);
    expect(sharesKey(likepersons, "portal", set.record("p-linked")!, { ...m, id: "m-else" })).toBe(false);
  });
});
