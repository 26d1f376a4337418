/**
 * Property tests of the pure core over generated records, baselines and edits (fast-check,
 * 1000 runs each): no clearing from a partial read, determinism, no duplicates, round trips.
 * Convergence and no edit lost are properties of the real engine: test/engine/properties.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalFromMeander, canonicalFromPortal, meanderPayload, portalPayload } from "../../shared/core/canonical.js";
import type { CompiledConfig } from "../../shared/core/compile.js";
import { compileConfig } from "../../shared/core/compile.js";
import { applyFieldMappings } from "../../shared/core/mapping.js";
import { findPartner, normalizeKey } from "../../shared/core/matching.js";
import { getPath } from "../../shared/core/paths.js";
import { planPair, planUnlinked } from "../../shared/core/planner.js";
import type { PairInput } from "../../shared/core/planTypes.js";
import type { Canonical, Link, Side, SideRecord, SideView } from "../../shared/core/types.js";
import { MappingError } from "../../shared/errors.js";
import { baselineOf, likepersons, meanderData, type Person, portalData } from "./fixtures.js";

const RUNS = { numRuns: 1000 };

const pools = {
  firstName: fc.constantFrom("Kari", "Ola", "Per"),
  lastName: fc.constantFrom("Nordmann", "Hansen"),
  email: fc.constantFrom("kari@x.no", "ola@y.no", null),
  mobile: fc.constantFrom("+4791234567", "+4798765432", "+46701234567", null),
  postalCode: fc.constantFrom("0150", "5003", null),
  city: fc.constantFrom("Oslo", "Bergen", null),
  chapter: fc.constantFrom("Oslo", "Bergen", "Tromsø", null),
  memberNumber: fc.constantFrom("12345", "777", null),
  status: fc.constantFrom("active" as const, "paused" as const, "retired" as const),
  trainingCompletedOn: fc.constantFrom("2023-05-01", "2024-01-31", null),
};
const person = fc.record(pools);
const KEYS = Object.keys(pools) as (keyof Person)[];
/** A few fields at a time, and often none, so "unchanged" sides and one-sided edits are common. */
const edits: fc.Arbitrary<Partial<Person>> = fc.oneof(
  fc.constant({}),
  fc
    .tuple(fc.subarray(KEYS, { minLength: 1, maxLength: 3 }), person)
    .map(([keys, values]) => Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<Person>),
);
const time = fc.constantFrom("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", undefined);

/** How people type the same values: the transforms must see through it. */
const style = fc.record({ upper: fc.boolean(), pad: fc.boolean(), phone: fc.integer({ min: 0, max: 3 }), zeros: fc.boolean() });
type Style = typeof style extends fc.Arbitrary<infer T> ? T : never;

function typed(p: Person, s: Style, side: Side): Person {
  const pad = (v: string | null) => (v !== null && s.pad ? ` ${v} ` : v);
  const phone = (v: string | null) => {
    if (v === null || !v.startsWith("+47")) return v;
    const n = v.slice(3);
    return [v, `${n.slice(0, 3)} ${n.slice(3, 5)} ${n.slice(5)}`, `0047${n}`, `+47 ${n}`][s.phone] ?? v;
  };
  return {
    ...p,
    firstName: pad(p.firstName)!,
    lastName: pad(p.lastName)!,
    city: pad(p.city),
    email: p.email && s.upper ? p.email.toUpperCase() : p.email,
    mobile: phone(p.mobile),
    memberNumber: side === "meander" && s.zeros && p.memberNumber ? `00${p.memberNumber}` : p.memberNumber,
  };
}

const record = (side: Side, id: string, p: Person, s: Style, modifiedOn: string | undefined, partner: string | null, version = "1"): SideRecord => ({
  id,
  version: side === "meander" ? `v${version}` : `W/"${version}"`,
  ...(modifiedOn ? { modifiedOn } : {}),
  data: side === "meander" ? meanderData(id, typed(p, s, side), partner) : portalData(id, typed(p, s, side), partner),
});

const FIELD_OF: Record<keyof Person, string> = {
  firstName: "firstName",
  lastName: "lastName",
  email: "contact.email",
  mobile: "contact.mobile",
  postalCode: "address.postalCode",
  city: "address.city",
  chapter: "chapter",
  memberNumber: "memberNumber",
  status: "status",
  trainingCompletedOn: "trainingCompletedOn",
};

/** A linked pair: baseline, optionally a parked conflict on the manual field, and edits on either side. */
const linkedScenario = fc
  .record({
    base: person,
    parked: fc.option(fc.tuple(pools.chapter, pools.chapter), { nil: undefined }),
    /** Whether the link store kept the parked list (the planner must be safe either way). */
    keptList: fc.boolean(),
    m: edits,
    p: edits,
    mStyle: style,
    pStyle: style,
    mTime: time,
    pTime: time,
    readM: fc.boolean(),
    readP: fc.boolean(),
  })
  .filter((s) => !s.parked || (s.parked[0] !== s.parked[1] && s.parked[0] !== s.base.chapter && s.parked[1] !== s.base.chapter))
  .map((s) => {
    const mBefore = { ...s.base, ...(s.parked ? { chapter: s.parked[0] } : {}) };
    const pBefore = { ...s.base, ...(s.parked ? { chapter: s.parked[1] } : {}) };
    const mNow = { ...mBefore, ...s.m };
    const pNow = { ...pBefore, ...s.p };
    const world: World = {
      meander: record("meander", "m-1", mNow, s.mStyle, s.mTime, "p-1"),
      portal: record("portal", "p-1", pNow, s.pStyle, s.pTime, "m-1"),
      link: {
        meanderId: "m-1",
        portalId: "p-1",
        baseline: s.parked ? withoutChapter(baselineOf(s.base)) : baselineOf(s.base),
        meanderVersion: "v1",
        portalVersion: 'W/"1"',
        ...(s.parked && s.keptList ? { parked: ["chapter"] } : {}),
      },
    };
    // A side not in this run's changes is "unchanged": only possible when it was not edited.
    const read = new Set<Side>();
    if (Object.keys(s.m).length || s.readM) read.add("meander");
    if (Object.keys(s.p).length || s.readP) read.add("portal");
    return { ...s, mBefore, pBefore, world, read };
  });

/** One pair as both systems and the link store hold it. */
interface World {
  meander?: SideRecord;
  portal?: SideRecord;
  link?: Link;
}

const withoutChapter = ({ chapter: _, ...rest }: Canonical): Canonical => rest;

const viewOf = (world: World, side: Side, read: ReadonlySet<Side>): SideView =>
  read.has(side) ? { state: "present", record: world[side]! } : { state: "unchanged" };

const inputOf = (world: World, read: ReadonlySet<Side>): PairInput => ({
  link: world.link,
  meander: viewOf(world, "meander", read),
  portal: viewOf(world, "portal", read),
});

/** Unlinked pairs: two records meeting for the first time, or one record alone. */
const unlinkedScenario = fc.record({
  m: fc.option(person, { nil: undefined }),
  p: fc.option(person, { nil: undefined }),
  mStyle: style,
  pStyle: style,
  mTime: time,
  pTime: time,
});

describe("properties of the planner", () => {
  it("a field a read did not return is never written to the other side as a clearing", () => {
    // Required fields are left out: a record without them is a MappingError, never a plan.
    const optional = Object.values(FIELD_OF).filter((k) => !likepersons.fieldByKey.get(k)!.required);
    const dropped = fc.subarray(optional, { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(linkedScenario, fc.constantFrom<Side>("meander", "portal"), dropped, (s, side, keys) => {
        const record = s.world[side]!;
        const data = structuredClone(record.data) as Record<string, unknown>;
        for (const key of keys) {
          const f = likepersons.fieldByKey.get(key)!;
          if (side === "portal") delete data[f.portalField];
          else {
            const [head, tail] = f.meanderPath.split(".");
            if (tail) delete (data[head!] as Record<string, unknown>)[tail];
            else delete data[head!];
          }
        }
        const views = { ...inputOf(s.world, s.read), [side]: { state: "present", record: { ...record, data } } };
        const plan = planPair(likepersons, views);
        const other = side === "meander" ? "portal" : "meander";
        for (const key of keys) expect(plan.changedFields[other] ?? []).not.toContain(key);
      }),
      RUNS,
    );
  });

  it("(3) determinism: the same input gives the same plan", () => {
    fc.assert(
      fc.property(linkedScenario, unlinkedScenario, (linked, unlinked) => {
        const a = inputOf(linked.world, linked.read);
        expect(planPair(likepersons, structuredClone(a))).toEqual(planPair(likepersons, a));
        const b: PairInput = {
          meander: unlinked.m ? { state: "present", record: record("meander", "m-1", unlinked.m, unlinked.mStyle, unlinked.mTime, null) } : { state: "absent" },
          portal: unlinked.p ? { state: "present", record: record("portal", "p-1", unlinked.p, unlinked.pStyle, unlinked.pTime, null) } : { state: "absent" },
        };
        expect(planPair(likepersons, structuredClone(b))).toEqual(planPair(likepersons, b));
      }),
      RUNS,
    );
  });
});

describe("properties of matching", () => {
  const candidate = fc.record({
    id: fc.constantFrom("p-1", "p-2", "p-3", "p-4", "P-4"),
    memberNumber: fc.constantFrom("12345", "0012345", "777", null),
    email: fc.constantFrom("kari@x.no", "KARI@X.NO", "ola@y.no", null),
    meanderId: fc.constantFrom(null, null, "m-1", "m-9"),
  });
  const scenario = fc.record({
    candidates: fc.uniqueArray(candidate, { maxLength: 6, selector: (c) => c.id }),
    linked: fc.subarray(["p-1", "p-2", "p-3", "p-4"]),
    memberNumber: fc.constantFrom("12345", "777", null),
    email: fc.constantFrom("kari@x.no", null),
    portalContactId: fc.constantFrom(null, "p-2"),
  });

  it("(4) no duplicates: never a partner linked elsewhere; ambiguous creates nothing; none only when no free candidate fits", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const me: SideRecord = { id: "m-1", data: meanderData("m-1", { ...baselinePerson, memberNumber: s.memberNumber, email: s.email }, s.portalContactId) };
        const candidates: SideRecord[] = s.candidates.map((c) => ({
          id: c.id,
          data: portalData(c.id, { ...baselinePerson, memberNumber: c.memberNumber, email: c.email }, c.meanderId),
        }));
        const linked = new Set(s.linked);
        const result = findPartner(likepersons, "meander", me, candidates, linked);
        if (result.kind === "one") expect(linked.has(result.partner.id)).toBe(false);
        if (result.kind === "ambiguous") {
          for (const id of result.candidates) expect(linked.has(id)).toBe(false);
          expect(new Set(result.candidates).size).toBe(result.candidates.length);
          const plan = planUnlinked(likepersons, "meander", me, result);
          expect(plan.actions).toEqual([]);
          expect(plan.nextLink).toBeUndefined();
        }
        if (result.kind === "none") {
          const free = candidates.filter((c) => !linked.has(c.id) && (c.data.hlf_meanderid === null || c.data.hlf_meanderid === "m-1"));
          const fits = free.filter(
            (c) =>
              c.data.hlf_meanderid === "m-1" ||
              c.id.toLowerCase() === s.portalContactId ||
              (s.memberNumber !== null && normalizeKey("memberNumber", c.data.hlf_membernumber) === s.memberNumber) ||
              (s.email !== null && normalizeKey("email", c.data.emailaddress1) === s.email),
          );
          expect(fits).toEqual([]);
        }
      }),
      RUNS,
    );
  });
});

const baselinePerson: Person = {
  firstName: "Kari",
  lastName: "Nordmann",
  email: null,
  mobile: null,
  postalCode: null,
  city: null,
  chapter: null,
  memberNumber: null,
  status: "active",
  trainingCompletedOn: null,
};

/** A config with typed value maps (boolean and number Meander values) for the round trip. */
const typedConfig = compileConfig({
  id: "typed",
  enabled: true,
  direction: "both",
  meander: { entity: "things", scope: [] },
  portal: { entity: "things", idField: "thingid", scope: [] },
  matchKeys: [],
  fields: [
    { meander: "flags.visible", portal: "x_visible", transform: "boolean", valueMap: { true: 1, false: 0 } },
    { meander: "level", portal: "x_level", transform: "number", valueMap: { "1": "low", "2": "high" } },
    { meander: "code", portal: "x_code", transform: ["trim", "uppercase"] },
    { meander: "when", portal: "x_when", transform: "dateOnly" },
    { meander: "amount", portal: "x_amount", transform: "number" },
  ],
  conflictPolicy: "manual",
  deletePolicy: { meanderDeleted: "unlink", portalDeleted: "unlink" },
  massDeleteGuard: { maxDeletes: 50, maxPercent: 5 },
});

describe("mapping failures", () => {
  it("are MappingErrors that name field and record and never carry a value from the record", () => {
    // Marked values ("Q…Q"), so a hit is a leak and not a word the message happens to share.
    const text = fc.stringMatching(/^[A-Za-z0-9 @+.-]{2,10}$/).map((t) => `Q${t}Q`);
    const anyValue = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.constant(""), fc.constant({ nested: "Zq" }));
    const raw = fc.record({
      firstName: anyValue,
      lastName: anyValue,
      contact: fc.record({ email: anyValue, mobile: anyValue }),
      status: fc.oneof(anyValue, fc.constantFrom("active", "paused")),
      trainingCompletedOn: anyValue,
    });
    let failures = 0;
    fc.assert(
      fc.property(raw, (data) => {
        try {
          planPair(likepersons, { meander: { state: "present", record: { id: "m-77", data } }, portal: { state: "absent" } });
        } catch (error) {
          failures += 1;
          expect(error).toBeInstanceOf(MappingError);
          const message = (error as MappingError).message;
          expect(message).toContain("m-77");
          expect(likepersons.fieldByKey.has((error as MappingError).field)).toBe(true);
          const values = [data.firstName, data.lastName, data.contact.email, data.contact.mobile, data.status, data.trainingCompletedOn];
          for (const v of values) if (typeof v === "string" && v.startsWith("Q")) expect(message).not.toContain(v.trim());
        }
      }),
      RUNS,
    );
    expect(failures).toBeGreaterThan(RUNS.numRuns / 2);
  });
});

describe("round trips on bidirectional fields", () => {
  const bothKeys = (c: CompiledConfig) => c.fields.filter((f) => f.direction === "both").map((f) => f.key);

  it("(5) likepersons: toMeander(toPortal(x)) equals x for normalised x", () => {
    fc.assert(
      fc.property(person, style, (p, s) => {
        const data = meanderData("m-1", typed(p, s, "meander"));
        const x = canonicalFromMeander(likepersons, data);
        const keys = bothKeys(likepersons);
        const back = canonicalFromPortal(likepersons, portalPayload(likepersons, x, keys));
        for (const key of keys) expect(back[key]).toBe(x[key]);
        const viaMappings = applyFieldMappings(applyFieldMappings(data, likepersons.toPortal), likepersons.toMeander);
        const normalised = meanderPayload(likepersons, x, keys);
        for (const key of keys) expect(getPath(viaMappings, key)).toEqual(getPath(normalised, key));
      }),
      RUNS,
    );
  });

  it("(5) typed value maps and transforms round-trip", () => {
    const raw = fc.record({
      flags: fc.record({ visible: fc.constantFrom(true, false, "true", "nei", 1, 0, null) }),
      level: fc.constantFrom(1, 2, "1", " 2 ", null),
      code: fc.constantFrom(" ab ", "AB", "x", null),
      when: fc.constantFrom("2024-02-29", "2024-02-29T12:00:00Z", null),
      amount: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom("1,5", "12", null)),
    });
    fc.assert(
      fc.property(raw, (data) => {
        const x = canonicalFromMeander(typedConfig, data);
        const keys = bothKeys(typedConfig);
        const back = canonicalFromPortal(typedConfig, portalPayload(typedConfig, x, keys));
        for (const key of keys) expect(back[key]).toBe(x[key]);
      }),
      RUNS,
    );
  });
});
