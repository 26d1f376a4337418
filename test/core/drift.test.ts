/**
 * needsPartnerValues (shared/core/drift.ts) over HLF's config, fingerprinted baselines and plain
 * ones (fast-check, 1000 runs): where it says a changed record's unchanged partner need not be
 * read, planning with the partner "unchanged" gives exactly the plan planning with it read does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalFromMeander, canonicalFromPortal, meanderPayload, portalPayload } from "../../shared/core/canonical.js";
import { needsPartnerValues } from "../../shared/core/drift.js";
import { createFingerprinter, fingerprintBaseline } from "../../shared/core/fingerprint.js";
import { planPairHashed } from "../../shared/core/hashedPlan.js";
import type { Canonical, Link, Side, SideRecord, SideView } from "../../shared/core/types.js";
import { hlf, kari, meanderData, type Person, portalData } from "./fixtures.js";

const fingerprint = createFingerprinter("test-only-baseline-key-0123456789abcdef");

const pools = {
  firstName: fc.constantFrom("Kari", "Ola", " Per "),
  lastName: fc.constantFrom("Nordmann", "Hansen"),
  email: fc.constantFrom("kari@x.no", "KARI@X.NO", "ola@y.no", null),
  mobile: fc.constantFrom("+4791234567", "912 34 567", "+4798765432", null),
  postalCode: fc.constantFrom("0150", "5003", null),
  city: fc.constantFrom("Oslo", "Bergen", null),
  chapter: fc.constantFrom("Oslo", "Bergen", null),
  memberNumber: fc.constantFrom("12345", "777", null),
  status: fc.constantFrom("active" as const, "paused" as const),
  trainingCompletedOn: fc.constantFrom("2023-05-01", "2024-01-31", null),
};
const person = fc.record(pools);
const KEYS = Object.keys(pools) as (keyof Person)[];
const edit: fc.Arbitrary<Partial<Person>> = fc
  .tuple(fc.subarray(KEYS, { minLength: 1, maxLength: 3 }), person)
  .map(([keys, values]) => Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<Person>);

/** The baseline a sync of these values stores: each field as its source maps it (canonical). */
const agreed = (p: Person): Canonical => ({
  ...canonicalFromMeander(hlf, meanderData("m-1", p, "p-1")),
  ...canonicalFromPortal(hlf, portalData("p-1", p, "m-1")),
});

/**
 * A partner unchanged since a sync holds what that sync wrote in the fields it is the target of:
 * the baseline's values in its own form (a drifted value there was put back, or the link not saved).
 */
function asSynced(r: SideRecord, baseline: Canonical): SideRecord {
  const targets = hlf.fields.filter((f) => !f.sources.includes(r.id === "m-1" ? "meander" : "portal")).map((f) => f.key);
  if (r.id === "m-1") {
    const written = meanderPayload(hlf, baseline, targets);
    return { ...r, data: merge(r.data, written) };
  }
  return { ...r, data: { ...r.data, ...portalPayload(hlf, baseline, targets) } };
}

function merge(into: Readonly<Record<string, unknown>>, from: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...into };
  for (const [k, v] of Object.entries(from)) {
    const had = out[k];
    out[k] = v && typeof v === "object" && had && typeof had === "object" ? merge(had as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

const record = (side: Side, p: Person, modifiedOn?: string): SideRecord => ({
  id: side === "meander" ? "m-1" : "p-1",
  version: side === "meander" ? "v1" : 'W/"1"',
  ...(modifiedOn ? { modifiedOn } : {}),
  data: side === "meander" ? meanderData("m-1", p, "p-1") : portalData("p-1", p, "m-1"),
});

describe("reading an unchanged partner only where the changed record drifted from a field the partner masters", () => {
  it("plans the same with the partner unchanged as with it read, whenever it is not needed", () => {
    let spared = 0;
    fc.assert(
      fc.property(
        fc.record({
          side: fc.constantFrom<Side>("meander", "portal"),
          base: person,
          change: edit,
          // The partner's value of a parked field (no baseline) and the changed side's own.
          parked: fc.option(fc.tuple(pools.chapter, pools.chapter), { nil: undefined }),
          hashed: fc.boolean(),
          modifiedOn: fc.constantFrom("2025-01-02T00:00:00Z", undefined),
        }),
        ({ side, base, change, parked, hashed, modifiedOn }) => {
          const partner: Side = side === "meander" ? "portal" : "meander";
          const plain = agreed(base);
          const kept: Canonical = parked ? Object.fromEntries(Object.entries(plain).filter(([k]) => k !== "chapter")) : plain;
          const link: Link = {
            meanderId: "m-1",
            portalId: "p-1",
            baseline: hashed ? fingerprintBaseline(fingerprint, hlf.config.id, kept) : kept,
            meanderVersion: "v1",
            portalVersion: 'W/"1"',
            ...(parked ? { parked: ["chapter"] } : {}),
          };
          const changed = record(side, { ...base, ...(parked ? { chapter: parked[0] } : {}), ...change }, modifiedOn);
          const partnerNow = asSynced(record(partner, { ...base, ...(parked ? { chapter: parked[1] } : {}) }), plain);
          if (needsPartnerValues(hlf, side, changed, link, hashed ? fingerprint : undefined)) return;
          spared += 1;
          const views = (other: SideView) => ({
            link,
            meander: side === "meander" ? ({ state: "present", record: changed } as const) : other,
            portal: side === "portal" ? ({ state: "present", record: changed } as const) : other,
          });
          const fp = hashed ? fingerprint : undefined;
          const unread = planPairHashed(hlf, views({ state: "unchanged" }), {}, fp);
          const read = planPairHashed(hlf, views({ state: "present", record: partnerNow }), {}, fp);
          expect(unread).toEqual(read);
        },
      ),
      { numRuns: 1000 },
    );
    // Not vacuous: many edits touch no field the partner masters.
    expect(spared).toBeGreaterThan(40);
  });

  it("asks for the partner where the changed record drifted from it", () => {
    const base: Person = { ...kari, email: "kari@x.no", trainingCompletedOn: null };
    const link: Link = { meanderId: "m-1", portalId: "p-1", baseline: fingerprintBaseline(fingerprint, hlf.config.id, agreed(base)) };
    // The portal masters the mobile number; Meander masters the status.
    expect(needsPartnerValues(hlf, "meander", record("meander", { ...base, mobile: "+4798765432" }), link, fingerprint)).toBe(true);
    expect(needsPartnerValues(hlf, "meander", record("meander", { ...base, status: "paused" }), link, fingerprint)).toBe(false);
    expect(needsPartnerValues(hlf, "portal", record("portal", { ...base, status: "paused" }), link, fingerprint)).toBe(true);
    expect(needsPartnerValues(hlf, "portal", record("portal", { ...base, city: "Bergen" }), link, fingerprint)).toBe(false);
  });
});
