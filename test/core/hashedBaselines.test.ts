/**
 * The planner over fingerprinted baselines plans what the plain planner plans (fast-check,
 * 1000 runs each): the same actions, outcomes, parked and resolved fields, for one step and
 * over several runs of edits, deletions and scope exits; what it stores is fingerprints only.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompiledConfig } from "../../shared/core/compile.js";
import { compileConfig } from "../../shared/core/compile.js";
import { createFingerprinter, fingerprintBaseline, isFingerprint } from "../../shared/core/fingerprint.js";
import { planPairHashed } from "../../shared/core/hashedPlan.js";
import { inScope } from "../../shared/core/matching.js";
import { planPair } from "../../shared/core/planner.js";
import type { PairInput } from "../../shared/core/planTypes.js";
import type { Canonical, FieldConflict, Link, PairPlan, Side, SideRecord, SideView } from "../../shared/core/types.js";
import { baselineOf, likepersons, meanderData, type Person, portalData } from "./fixtures.js";
import { apply, nextInput, type World } from "./pairModel.js";

const RUNS = { numRuns: 1000 };
const fingerprint = createFingerprinter("test-only-baseline-key-0123456789abcdef");

const pools = {
  firstName: fc.constantFrom("Kari", "Ola", " Per "),
  lastName: fc.constantFrom("Nordmann", "Hansen"),
  email: fc.constantFrom("kari@x.no", "KARI@X.NO", "ola@y.no", null),
  mobile: fc.constantFrom("+4791234567", "912 34 567", "+4798765432", null),
  postalCode: fc.constantFrom("0150", "5003", null),
  city: fc.constantFrom("Oslo", "Bergen", null),
  chapter: fc.constantFrom("Oslo", "Bergen", "Tromsø", null),
  memberNumber: fc.constantFrom("12345", "777", null),
  status: fc.constantFrom("active" as const, "paused" as const, "retired" as const),
  trainingCompletedOn: fc.constantFrom("2023-05-01", "2024-01-31", null),
};
const person = fc.record(pools);
const KEYS = Object.keys(pools) as (keyof Person)[];
const edits: fc.Arbitrary<Partial<Person>> = fc.oneof(
  fc.constant({}),
  fc
    .tuple(fc.subarray(KEYS, { minLength: 1, maxLength: 3 }), person)
    .map(([keys, values]) => Object.fromEntries(keys.map((k) => [k, values[k]])) as Partial<Person>),
);
const time = fc.constantFrom("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", undefined);

/** Both delete policies, and a Meander scope, so deletions and scope exits on both sides come up. */
const configs: CompiledConfig[] = (["delete", "unlink"] as const).map((meanderDeleted) =>
  compileConfig({
    ...likepersons.config,
    meander: { ...likepersons.config.meander, scope: [{ field: "status", op: "in", values: ["active", "paused"] }] },
    deletePolicy: { meanderDeleted, portalDeleted: meanderDeleted === "delete" ? "unlink" : "delete" },
  }),
);

const record = (side: Side, id: string, p: Person, modifiedOn: string | undefined, partner: string | null): SideRecord => ({
  id,
  version: side === "meander" ? "v1" : 'W/"1"',
  ...(modifiedOn ? { modifiedOn } : {}),
  data: side === "meander" ? meanderData(id, p, partner) : portalData(id, p, partner),
});

const hashed = (link: Link): Link => ({ ...link, baseline: fingerprintBaseline(fingerprint, likepersons.config.id, link.baseline) });
const withHashedLink = (input: PairInput): PairInput => (input.link ? { ...input, link: hashed(input.link) } : input);

const scoped = (compiled: CompiledConfig, input: PairInput): PairInput => {
  const fix = (side: Side, view: SideView): SideView =>
    view.state === "present" && !inScope(compiled.config[side].scope, view.record.data) ? { state: "outOfScope", record: view.record } : view;
  return { ...input, meander: fix("meander", input.meander), portal: fix("portal", input.portal) };
};

/** A linked pair in any state: edits on either side, read or not, a parked field, a side gone. */
const scenario = fc
  .record({
    config: fc.constantFrom(...configs),
    base: person,
    parked: fc.option(fc.tuple(pools.chapter, pools.chapter), { nil: undefined }),
    keptList: fc.boolean(),
    m: edits,
    p: edits,
    mTime: time,
    pTime: time,
    readM: fc.boolean(),
    readP: fc.boolean(),
    gone: fc.constantFrom<Side | undefined>(undefined, undefined, "meander", "portal"),
    resolve: fc.option(pools.chapter, { nil: undefined }),
  })
  .filter((s) => !s.parked || (s.parked[0] !== s.parked[1] && s.parked[0] !== s.base.chapter && s.parked[1] !== s.base.chapter))
  .map((s) => {
    const mNow = { ...s.base, ...(s.parked ? { chapter: s.parked[0] } : {}), ...s.m };
    const pNow = { ...s.base, ...(s.parked ? { chapter: s.parked[1] } : {}), ...s.p };
    const baseline = baselineOf(s.base);
    const link: Link = {
      meanderId: "m-1",
      portalId: "p-1",
      baseline: s.parked ? (Object.fromEntries(Object.entries(baseline).filter(([k]) => k !== "chapter")) as Canonical) : baseline,
      meanderVersion: "v1",
      portalVersion: 'W/"1"',
      ...(s.parked && s.keptList ? { parked: ["chapter"] } : {}),
    };
    const view = (side: Side, p: Person, edited: boolean, readAnyway: boolean, t: string | undefined): SideView => {
      if (s.gone === side) return { state: "deleted", id: side === "meander" ? "m-1" : "p-1" };
      return edited || readAnyway
        ? { state: "present", record: record(side, side === "meander" ? "m-1" : "p-1", p, t, side === "meander" ? "p-1" : "m-1") }
        : { state: "unchanged" };
    };
    const mEdited = Object.keys(s.m).length > 0;
    const pEdited = Object.keys(s.p).length > 0;
    // As the engine reads them (shared/sync/pairing.ts, withMasters): where a field has a master,
    // a changed record's unchanged partner is read by id, since a fingerprint is not a value to put back.
    const masters = hasMasters(s.config);
    const input: PairInput = scoped(s.config, {
      link,
      meander: view("meander", mNow, mEdited, s.readM || (masters && pEdited), s.mTime),
      portal: view("portal", pNow, pEdited, s.readP || (masters && mEdited), s.pTime),
      ...(s.parked && s.resolve !== undefined ? { resolutions: [{ field: "chapter", value: s.resolve }] } : {}),
    });
    return { ...s, input };
  });

const hasMasters = (compiled: CompiledConfig) => compiled.fields.some((f) => f.direction !== "both");

/** Parked and resolved fields without their base: the fingerprinted plan may only know less of it. */
const withoutBase = (items: readonly FieldConflict[]) => items.map(({ base: _, ...rest }) => rest);

function expectSamePlan(plain: PairPlan, viaHashes: PairPlan, compiled: CompiledConfig) {
  expect(viaHashes.outcome).toBe(plain.outcome);
  expect(viaHashes.actions).toEqual(plain.actions);
  expect(viaHashes.changedFields).toEqual(plain.changedFields);
  expect(viaHashes.reason).toBe(plain.reason);
  expect(withoutBase(viaHashes.parked)).toEqual(withoutBase(plain.parked));
  expect(withoutBase(viaHashes.resolved)).toEqual(withoutBase(plain.resolved));
  for (const [i, c] of [...viaHashes.parked, ...viaHashes.resolved].entries()) {
    const base = [...plain.parked, ...plain.resolved][i]?.base;
    if (c.base !== undefined) expect(c.base).toEqual(base);
  }
  if (plain.nextLink === null || viaHashes.nextLink === null) expect(viaHashes.nextLink).toBe(plain.nextLink);
  if (plain.nextLink && viaHashes.nextLink) {
    const { baseline, ...rest } = viaHashes.nextLink;
    const { baseline: plainBaseline, ...plainRest } = plain.nextLink;
    expect(rest).toEqual(plainRest);
    expect(Object.values(baseline).every(isFingerprint)).toBe(true);
    expect(Object.keys(baseline).sort()).toEqual(Object.keys(plainBaseline).sort());
    // Where the plain baseline is a value both sides hold now, the stored fingerprint is that value's.
    const expected = fingerprintBaseline(fingerprint, compiled.config.id, plainBaseline);
    for (const key of Object.keys(baseline)) if (!plain.parked.some((c) => c.field === key)) expect(baseline[key], key).toBe(expected[key]);
  }
}

describe("the planner over fingerprinted baselines", () => {
  it("plans the same actions, parked and resolved fields as over plain baselines", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plain = planPair(s.config, s.input);
        const viaHashes = planPairHashed(s.config, withHashedLink(s.input), {}, fingerprint);
        expectSamePlan(plain, viaHashes, s.config);
      }),
      RUNS,
    );
  });

  it("over several runs of edits on both sides: the same writes, the same records, and only fingerprints stored", () => {
    const round = fc.record({ m: edits, p: edits, readM: fc.boolean(), readP: fc.boolean(), mTime: time, pTime: time });
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        person,
        person,
        fc.boolean(),
        fc.array(round, { minLength: 1, maxLength: 4 }),
        (compiled, m0, p0, both, rounds) => {
          const start = (): World => ({
            meander: record("meander", "m-1", m0, undefined, null),
            portal: both ? record("portal", "p-1", p0, undefined, null) : undefined,
            link: undefined,
          });
          const worlds = { plain: start(), hashed: start() };
          let read = new Set<Side>(["meander", "portal"]);
          for (const r of [{ m: {}, p: {}, readM: true, readP: true, mTime: undefined, pTime: undefined }, ...rounds]) {
            for (const w of [worlds.plain, worlds.hashed]) {
              if (Object.keys(r.m).length && w.meander) w.meander = edit(w.meander, "meander", r.m, r.mTime);
              if (Object.keys(r.p).length && w.portal) w.portal = edit(w.portal, "portal", r.p, r.pTime);
            }
            const runRead = new Set(read);
            if (Object.keys(r.m).length || r.readM) runRead.add("meander");
            if (Object.keys(r.p).length || r.readP) runRead.add("portal");
            // The engine reads a changed record's partner by id where a field has a master (shared/sync/pairing.ts).
            if (runRead.size > 0 && hasMasters(compiled)) for (const side of ["meander", "portal"] as const) runRead.add(side);
            const plain = planPair(compiled, scoped(compiled, nextInput(worlds.plain, runRead)));
            const viaHashes = planPairHashed(compiled, scoped(compiled, nextInput(worlds.hashed, runRead)), {}, fingerprint);
            expect(viaHashes.actions).toEqual(plain.actions);
            expect(withoutBase(viaHashes.parked)).toEqual(withoutBase(plain.parked));
            const written = apply(compiled, worlds.plain, plain);
            apply(compiled, worlds.hashed, viaHashes);
            expect(worlds.hashed.meander).toEqual(worlds.plain.meander);
            expect(worlds.hashed.portal).toEqual(worlds.plain.portal);
            expect(worlds.hashed.link === undefined).toBe(worlds.plain.link === undefined);
            if (worlds.hashed.link) expect(Object.values(worlds.hashed.link.baseline).every(isFingerprint)).toBe(true);
            read = new Set(written);
          }
          // Convergence holds over fingerprints too: one more run has nothing to do.
          const again = planPairHashed(compiled, scoped(compiled, nextInput(worlds.hashed, new Set(["meander", "portal"]))), {}, fingerprint);
          expect(again.actions).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it("reads an old plain baseline and rewrites it as fingerprints, even when nothing changed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...configs),
        person.filter((p) => p.status !== "retired"),
        fc.boolean(),
        (compiled, p, readBoth) => {
          const link: Link = { meanderId: "m-1", portalId: "p-1", baseline: baselineOf(p), meanderVersion: "v1", portalVersion: 'W/"1"' };
          const input: PairInput = {
            link,
            meander: { state: "present", record: record("meander", "m-1", p, undefined, "p-1") },
            portal: readBoth ? { state: "present", record: record("portal", "p-1", p, undefined, "m-1") } : { state: "unchanged" },
          };
          const plain = planPair(compiled, input);
          const viaHashes = planPairHashed(compiled, input, {}, fingerprint);
          expect(viaHashes.actions).toEqual(plain.actions);
          expect(viaHashes.nextLink?.baseline).toEqual(fingerprintBaseline(fingerprint, compiled.config.id, plain.nextLink?.baseline ?? link.baseline));
        },
      ),
      RUNS,
    );
  });

  it("fingerprints depend on the key, the config and the field, and never contain the value", () => {
    const other = createFingerprinter("another-test-key-0123456789abcdefgh");
    const value = "kari.nordmann@example.no";
    const a = fingerprint("likepersons", "contact.email", value);
    expect(isFingerprint(a)).toBe(true);
    expect(a).toBe(fingerprint("likepersons", "contact.email", value));
    expect(
      new Set([
        a,
        other("likepersons", "contact.email", value),
        fingerprint("activities", "contact.email", value),
        fingerprint("likepersons", "firstName", value),
      ]).size,
    ).toBe(4);
    expect(a).not.toContain("kari");
    expect(() => createFingerprinter("short")).toThrow(/at least 32/);
  });
});

function edit(r: SideRecord, side: Side, change: Partial<Person>, modifiedOn: string | undefined): SideRecord {
  const data = structuredClone(r.data) as Record<string, unknown>;
  const set = (k: keyof Person, v: unknown) => {
    if (side === "portal") {
      const col = { ...portalData("x", { ...({} as Person), [k]: v } as Person) };
      for (const [c, value] of Object.entries(col)) if (value !== undefined && c !== "contactid" && c !== "hlf_meanderid") data[c] = value;
      return;
    }
    const path: Record<keyof Person, string> = {
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
    const [head, tail] = path[k].split(".") as [string, string | undefined];
    if (tail) data[head] = { ...(data[head] as Record<string, unknown>), [tail]: v };
    else data[head] = v;
  };
  for (const [k, v] of Object.entries(change)) set(k as keyof Person, v);
  const n = Number(String(r.version).replace(/\D/g, "")) + 1;
  return { ...r, version: side === "meander" ? `v${n}` : `W/"${n}"`, ...(modifiedOn ? { modifiedOn } : {}), data };
}
