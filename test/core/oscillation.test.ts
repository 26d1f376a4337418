/**
 * The loop guard (shared/core/oscillation.ts) on its own and inside the planner: a field the
 * service keeps writing back onto a side that keeps changing it away is parked by the third
 * flip in a row; people's edits are not.
 */
import { describe, expect, it } from "vitest";
import { createFingerprinter } from "../../shared/core/fingerprint.js";
import { planPairHashed } from "../../shared/core/hashedPlan.js";
import { FLIPS_TO_PARK, LOOP_WINDOW_MS, type LoopGuard, liveLoops, parkedLoopFields, stepLoop } from "../../shared/core/oscillation.js";
import { planPair } from "../../shared/core/planner.js";
import type { PairInput } from "../../shared/core/planTypes.js";
import type { Link, PairPlan, Scalar, SideRecord } from "../../shared/core/types.js";
import { hlf, kari, likepersons, linkOf, meanderRecord, type Person, portalRecord, present } from "./fixtures.js";

const T0 = Date.parse("2026-12-01T08:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** A readable stand-in for the HMAC: the unit tests look at what is compared, not at secrecy. */
const guardAt = (minutes: number): LoopGuard => ({ now: at(minutes), fingerprint: (field, value) => `fp(${field}=${JSON.stringify(value)})` });
const person = (changes: Partial<Person>): Person => ({ ...kari, ...changes });
const PAUSED = 100000001;

/** The link a plan leaves behind, as apply.ts stores it once the writes answered. */
function storedAfter(link: Link, plan: PairPlan): Link {
  if (plan.nextLink === null) throw new Error("the pair was unlinked");
  return plan.nextLink ? { meanderId: link.meanderId, portalId: link.portalId, ...plan.nextLink } : link;
}

const writesOf = (plan: PairPlan, field: string) =>
  plan.actions.filter((a) => a.kind === "update" && Object.hasOwn(a.fields, field)).map((a) => (a.kind === "update" ? a.side : undefined));

describe("stepLoop", () => {
  const field = "status";
  it("counts writes of the value last written to the same side; the third in a row parks", () => {
    let entry = stepLoop(field, undefined, { portal: "active" }, guardAt(0)).entry;
    expect(entry.n).toBe(0);
    const steps = [1, 2, 3].map((i) => {
      const step = stepLoop(field, entry, { portal: "active" }, guardAt(15 * i));
      entry = step.entry;
      return [step.entry.n, step.park];
    });
    expect(steps).toEqual([
      [1, false],
      [2, false],
      [FLIPS_TO_PARK, true],
    ]);
  });

  it("a write of another value starts afresh; so does a write a day after the field's last one", () => {
    const first = stepLoop(field, undefined, { portal: "active" }, guardAt(0)).entry;
    const again = stepLoop(field, first, { portal: "active" }, guardAt(15)).entry;
    expect(again.n).toBe(1);
    expect(stepLoop(field, again, { portal: "paused" }, guardAt(30)).entry.n).toBe(0);
    expect(stepLoop(field, again, { portal: "active" }, guardAt(15 + LOOP_WINDOW_MS / 60_000 + 1)).entry.n).toBe(0);
  });

  it("alternate writes to the two sides (both reformat) count together", () => {
    let entry = stepLoop(field, undefined, { meander: "x" }, guardAt(0)).entry;
    entry = stepLoop(field, entry, { portal: "X" }, guardAt(15)).entry;
    expect(entry.n).toBe(0);
    entry = stepLoop(field, entry, { meander: "x" }, guardAt(30)).entry;
    entry = stepLoop(field, entry, { portal: "X" }, guardAt(45)).entry;
    expect(entry.n).toBe(2);
    expect(stepLoop(field, entry, { meander: "x" }, guardAt(60)).park).toBe(true);
  });

  it("expired entries are dropped, parked ones never", () => {
    const loops = { a: { p: "h", n: 1, at: at(0) }, b: { p: "h", n: FLIPS_TO_PARK, at: at(0) } };
    expect(Object.keys(liveLoops(loops, at(24 * 60 + 1)))).toEqual(["b"]);
    expect(Object.keys(liveLoops(loops, at(60)))).toEqual(["a", "b"]);
  });
});

/** HLF's config: the likeperson status is Meander's (toPortal); a plug-in sets `paused` on the contact on every write. */
describe("a plug-in that rewrites a Meander-mastered field (HLF likepersons)", () => {
  const meander = present(meanderRecord(kari));
  const rewritten = (v: number) => present(portalRecord(kari, { version: `W/"${v}"`, data: { ...portalRecord(kari).data, hlf_likepersonstatus: PAUSED } }));

  /** Each run: the contact comes back rewritten, the planner puts Meander's value back, until the guard stops it. */
  function runs(count: number, minutesApart: number, start: Link = linkOf(kari)) {
    let link = start;
    const plans: PairPlan[] = [];
    for (let i = 0; i < count; i++) {
      const plan = planPair(hlf, { link, meander, portal: rewritten(200 + i) }, { loops: guardAt(i * minutesApart) });
      plans.push(plan);
      link = storedAfter(link, plan);
    }
    return { plans, link };
  }

  it("puts the status back twice more, then parks it at the third flip and writes it no more", () => {
    const { plans, link } = runs(6, 15);
    expect(plans.map((p) => writesOf(p, "hlf_likepersonstatus").length)).toEqual([1, 1, 1, 0, 0, 0]);
    expect(plans[3]!.oscillating).toEqual([{ field: "status", base: undefined, meander: "active", portal: "paused" }]);
    expect(plans[3]!.outcome).toBe("conflict");
    expect(link.parked).toEqual(["status"]);
    expect(parkedLoopFields(link.loops)).toEqual(["status"]);
    // The pair's other fields still flow: a portal rename reaches Meander while the status is parked.
    const renamed = present(
      portalRecord(person({ firstName: "Karianne" }), { data: { ...portalRecord(person({ firstName: "Karianne" })).data, hlf_likepersonstatus: PAUSED } }),
    );
    const plan = planPair(hlf, { link, meander, portal: renamed }, { loops: guardAt(200) });
    expect(plan.actions).toEqual([expect.objectContaining({ side: "meander", fields: { firstName: "Karianne" } })]);
  });

  it("a single drift put back, and drift put back again weeks later, are not parked", () => {
    const { plans, link } = runs(5, 60 * 24 * 14);
    expect(plans.every((p) => writesOf(p, "hlf_likepersonstatus").length === 1)).toBe(true);
    expect(link.parked).toBeUndefined();
  });

  it("a person's decision ends it: the portal's value is written to Meander, the guard lets go", () => {
    const parked = runs(4, 15).link;
    const input: PairInput = { link: parked, meander, portal: rewritten(300), resolutions: [{ field: "status", value: "paused" }] };
    const plan = planPair(hlf, input, { loops: guardAt(90) });
    expect(plan.actions).toEqual([expect.objectContaining({ kind: "update", side: "meander", fields: { status: "paused" } })]);
    const next = storedAfter(parked, plan);
    expect(next.parked).toBeUndefined();
    expect(parkedLoopFields(next.loops)).toEqual([]);
    // Both sides hold paused now: nothing more to write.
    const settled = planPair(
      hlf,
      { link: next, meander: present(meanderRecord(person({ status: "paused" }))), portal: rewritten(301) },
      { loops: guardAt(105) },
    );
    expect(settled.actions).toEqual([]);
  });

  it("the sides coming to agree without a person (the plug-in was removed, a user fixed the contact) ends it too", () => {
    const parked = runs(4, 15).link;
    expect(parkedLoopFields(parked.loops)).toEqual(["status"]);
    const plan = planPair(hlf, { link: parked, meander, portal: present(portalRecord(kari, { version: 'W/"400"' })) }, { loops: guardAt(120) });
    expect(plan.oscillating).toBeUndefined();
    expect(plan.actions).toEqual([]);
    expect(storedAfter(parked, plan).parked).toBeUndefined();
  });
});

/** The two-way mapping: Meander normalises a value the portal's plug-in reformats, so each side's change is written to the other. */
describe("two sides reformatting a two-way field each their own way", () => {
  const cityM = "Oslo";
  const cityP = "OSLO";
  const meanderWith = (city: string, v: number): SideRecord => meanderRecord(person({ city }), { version: String(v) });
  const portalWith = (city: string, v: number): SideRecord => portalRecord(person({ city }), { version: `W/"${v}"` });

  it("writes alternate to each side until the third flip, then the field is parked with both values", () => {
    let link = linkOf(kari);
    const writes: string[] = [];
    let plan: PairPlan | undefined;
    for (let i = 0; i < 8 && !plan?.oscillating; i++) {
      // Odd turns: the portal's plug-in upper-cased what was written; even: Meander normalised it back.
      const input: PairInput =
        i % 2 === 0
          ? { link, meander: { state: "unchanged" }, portal: present(portalWith(cityP, i)) }
          : { link, meander: present(meanderWith(cityM, i)), portal: { state: "unchanged" } };
      plan = planPair(likepersons, input, { loops: guardAt(i * 15) });
      writes.push(...plan.actions.map((a) => a.side));
      link = storedAfter(link, plan);
    }
    // Oslo→OSLO (first write), then flips 1, 2 written, the third parked.
    expect(writes).toEqual(["meander", "portal", "meander", "portal"]);
    expect(plan!.oscillating).toEqual([{ field: "address.city", base: undefined, meander: cityM, portal: cityP }]);
    expect(link.parked).toEqual(["address.city"]);
  });

  it("a person toggling a value on one side is never parked: each write is a new value on the other side", () => {
    let link = linkOf(kari);
    const written: Scalar[] = [];
    for (let i = 0; i < 8; i++) {
      const chapter = i % 2 === 0 ? "Bergen" : "Oslo";
      const plan = planPair(
        likepersons,
        { link, meander: present(meanderRecord(person({ chapter }), { version: String(10 + i) })), portal: { state: "unchanged" } },
        { loops: guardAt(i * 15) },
      );
      expect(plan.oscillating).toBeUndefined();
      for (const a of plan.actions) if (a.kind === "update") written.push(a.fields.hlf_localchapter as Scalar);
      link = storedAfter(link, plan);
    }
    expect(written).toEqual(["Bergen", "Oslo", "Bergen", "Oslo", "Bergen", "Oslo", "Bergen", "Oslo"]);
    expect(link.parked).toBeUndefined();
  });
});

describe("with fingerprinted baselines", () => {
  it("stores only fingerprints of the values written, and parks the same way", () => {
    const fingerprint = createFingerprinter("k".repeat(40));
    let link = linkOf(kari);
    const meander = present(meanderRecord(kari));
    let plan: PairPlan | undefined;
    for (let i = 0; i < 4; i++) {
      const portal = present(portalRecord(kari, { version: `W/"${500 + i}"`, data: { ...portalRecord(kari).data, hlf_likepersonstatus: PAUSED } }));
      plan = planPairHashed(hlf, { link, meander, portal }, { now: at(i * 15) }, fingerprint);
      link = storedAfter(link, plan);
    }
    expect(plan!.oscillating?.map((c) => c.field)).toEqual(["status"]);
    const stored = JSON.stringify(link.loops);
    expect(stored).not.toContain("active");
    expect(link.loops?.status).toEqual({ p: fingerprint("likepersons", "status", "active"), n: FLIPS_TO_PARK, at: at(45) });
  });

  it("without a run time, the guard is off (planPairHashed as tools call it)", () => {
    const fingerprint = createFingerprinter("k".repeat(40));
    const portal = present(portalRecord(kari, { data: { ...portalRecord(kari).data, hlf_likepersonstatus: PAUSED } }));
    const plan = planPairHashed(hlf, { link: linkOf(kari), meander: present(meanderRecord(kari)), portal }, {}, fingerprint);
    expect(plan.nextLink?.loops).toBeUndefined();
  });
});
