/**
 * The loop guard on real Azurite and both simulators: a value a Dataverse plug-in rewrites on
 * every write (and Meander turns back) is written a few times, then parked as an `oscillation`
 * review item and written no more until a person decides; a person toggling a value is not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link } from "../../shared/core/types.js";
import type { RecordSide, WriteOp } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const ACTIVE = 100000000;
const PAUSED = 100000001;

/** Writes sent to one side, per record id and field (as the side's own column or top-level path). */
function counting(real: RecordSide, touched: (op: WriteOp) => string | undefined): { side: RecordSide; writes: Map<string, number> } {
  const writes = new Map<string, number>();
  const side: RecordSide = {
    side: real.side,
    readChanges: (...args) => real.readChanges(...args),
    getByIds: (...args) => real.getByIds(...args),
    findByField: (...args) => real.findByField(...args),
    write: async (entity, ops) => {
      for (const op of ops) {
        const key = touched(op);
        if (key) writes.set(key, (writes.get(key) ?? 0) + 1);
      }
      return real.write(entity, ops);
    },
  };
  return { side, writes };
}

const idOf = (op: WriteOp) => (op.op === "update" ? op.id : undefined);

async function linkFor(h: Harness, meanderId: string): Promise<Link | undefined> {
  return (await h.service.deps.state.getLinks(L, [{ side: "meander", id: meanderId }]))[0];
}

async function firstLinked(h: Harness, ok: (link: Link) => boolean): Promise<Link> {
  for await (const link of h.service.deps.state.listLinks(L)) if (ok(link)) return link;
  throw new Error("no linked pair");
}

describe("a plug-in that rewrites a Meander-mastered field (HLF's likepersons)", () => {
  let h: Harness;
  let service: Harness["service"];
  let link: Link;
  let plugin = 0;
  let portalWrites: Map<string, number>;
  const statusWrites = () => portalWrites.get(`${link.portalId}:hlf_likepersonstatus`) ?? 0;
  const run = () => service.runSync(L, { trigger: "timer" });

  beforeAll(async () => {
    h = await startHarness({ hlf: true, dataset: { seed: 31, people: 12, overlap: 1, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0 } });
    await h.service.runSync(L, { trigger: "timer" });
    link = await firstLinked(h, (l) => (h.meander.store.get("likepersons", l.meanderId)?.data as Record<string, unknown>).status === "active");
    // HLF's CRM rule as a synchronous plug-in: a member with a paid-up membership stays an active likeperson.
    h.dataverse.plugins.add({
      entitySet: "contacts",
      column: "hlf_likepersonstatus",
      rewrite: (value, row) => {
        if (row.contactid !== link.portalId) return value;
        plugin += 1;
        return value === PAUSED ? ACTIVE : value;
      },
    });
    const counted = counting(h.service.sides.portal, (op) => {
      const id = idOf(op);
      return id && Object.hasOwn(op.op === "update" ? op.data : {}, "hlf_likepersonstatus") ? `${id}:hlf_likepersonstatus` : undefined;
    });
    portalWrites = counted.writes;
    service = await h.another({ sides: { portal: counted.side } });
  });
  afterAll(async () => h?.close());

  it("puts Meander's status back until the third flip, then parks it as an oscillation and writes it no more", async () => {
    h.meander.store.edit("likepersons", link.meanderId, { status: "paused" });
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await run());
    // The edit, then two flips (each run also reads its own writes back once): the third is not written.
    expect(statusWrites()).toBe(3);
    expect(plugin).toBe(3);
    expect(runs.map((r) => r.conflicts.oscillations ?? 0).reduce((a, b) => a + b)).toBe(1);
    expect(runs.every((r) => r.errors.length === 0)).toBe(true);
    const items = (await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation");
    expect(items).toEqual([
      expect.objectContaining({
        meanderId: link.meanderId,
        portalId: link.portalId,
        fields: [{ field: "status", meander: "paused", portal: "active" }],
        status: "open",
      }),
    ]);
    expect(runs.at(-1)?.conflicts.openByKind?.oscillation).toBe(1);
    const stored = await linkFor(h, link.meanderId);
    expect(stored?.parked).toContain("status");
    // Only fingerprints at rest: the stored loop state names no value.
    expect(JSON.stringify(stored?.loops)).not.toMatch(/paused|active|10000000/);

    // The pair's other fields still flow; the status is not written again.
    h.meander.store.edit("likepersons", link.meanderId, { trainingCompletedOn: "2024-03-01" });
    h.dataverse.store.edit("contacts", link.portalId, { address1_city: "Hamar" });
    for (let i = 0; i < 2; i++) await run();
    expect(h.dataverse.store.get("contacts", link.portalId)?.hlf_trainingcompletedon).toBe("2024-03-01");
    expect((h.meander.store.get("likepersons", link.meanderId)?.data as { address: { city: string } }).address.city).toBe("Hamar");
    expect(statusWrites()).toBe(3);
    expect(plugin).toBe(3);
  });

  it("a person's decision ends it: the portal's value goes to Meander, the item is applied, nothing flips again", async () => {
    const [item] = (await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation");
    await service.resolveConflict(L, item!.conflictId, { choice: "portal" });
    const applied = await run();
    expect(applied.conflicts.resolved).toBe(1);
    expect((h.meander.store.get("likepersons", link.meanderId)?.data as Record<string, unknown>).status).toBe("active");
    for (let i = 0; i < 2; i++) await run();
    expect(statusWrites()).toBe(3);
    const after = (await service.listConflicts(L, "resolved")).find((c) => c.conflictId === item!.conflictId);
    expect(after?.resolution?.appliedAt).toBeDefined();
    expect(after?.fields).toEqual([{ field: "status", base: null, meander: null, portal: null }]);
    expect((await linkFor(h, link.meanderId))?.parked ?? []).not.toContain("status");
    expect((await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation")).toEqual([]);
  });
});

describe("two-way: the portal's plug-in upper-cases a value Meander normalises back", () => {
  let h: Harness;
  let service: Harness["service"];
  let looped: Link;
  let toggled: Link;
  let portalWrites: Map<string, number>;
  let meanderWrites: Map<string, number>;
  const cityWrites = (l: Link): [number, number] => [portalWrites.get(`${l.portalId}:city`) ?? 0, meanderWrites.get(`${l.meanderId}:city`) ?? 0];
  const city = (l: Link) => (h.meander.store.get("likepersons", l.meanderId)?.data as { address: { city: string | null } }).address.city;
  /** Meander's own normalisation, applied to what it stores (as Meander does between its own writes). */
  const meanderNormalises = () => {
    const value = city(looped);
    if (value && value === value.toUpperCase())
      h.meander.store.edit("likepersons", looped.meanderId, { address: { city: value[0] + value.slice(1).toLowerCase() } });
  };
  const run = async () => {
    const result = await service.runSync(L, { trigger: "timer" });
    meanderNormalises();
    return result;
  };

  beforeAll(async () => {
    h = await startHarness({ dataset: { seed: 32, people: 12, overlap: 1, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0 } });
    await h.service.runSync(L, { trigger: "timer" });
    looped = await firstLinked(h, () => true);
    toggled = await firstLinked(h, (l) => l.meanderId !== looped.meanderId);
    h.dataverse.plugins.add({
      entitySet: "contacts",
      column: "address1_city",
      rewrite: (value, row) => (row.contactid === looped.portalId && typeof value === "string" ? value.toUpperCase() : value),
    });
    const portal = counting(h.service.sides.portal, (op) => (op.op === "update" && Object.hasOwn(op.data, "address1_city") ? `${op.id}:city` : undefined));
    const meander = counting(h.service.sides.meander, (op) => {
      const address = op.op === "update" ? (op.data.address as Record<string, unknown> | undefined) : undefined;
      return op.op === "update" && address && Object.hasOwn(address, "city") ? `${op.id}:city` : undefined;
    });
    portalWrites = portal.writes;
    meanderWrites = meander.writes;
    service = await h.another({ sides: { portal: portal.side, meander: meander.side } });
  });
  afterAll(async () => h?.close());

  it("writes alternate to each side until the third flip, then the field is parked with both values", async () => {
    h.meander.store.edit("likepersons", looped.meanderId, { address: { city: "Tromsø" } });
    let parkedIn = -1;
    for (let i = 0; i < 5; i++) {
      const result = await run();
      if (result.conflicts.oscillations) parkedIn = i;
    }
    expect(parkedIn).toBe(2);
    // Portal: Tromsø twice (upper-cased each time); Meander: TROMSØ twice (normalised back each time); the next is parked.
    expect(cityWrites(looped)).toEqual([2, 2]);
    const [item] = (await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation");
    expect(item?.fields).toEqual([{ field: "address.city", meander: "Tromsø", portal: "TROMSØ" }]);
  });

  it("a person toggling a value in the portal over several runs is written each time and never parked", async () => {
    const before = cityWrites(toggled);
    for (const value of ["Bergen", "Oslo", "Bergen", "Oslo", "Bergen"]) {
      h.dataverse.store.edit("contacts", toggled.portalId, { address1_city: value });
      await run();
      expect(city(toggled)).toBe(value);
    }
    expect(cityWrites(toggled)).toEqual([before[0], before[1] + 5]);
    expect((await linkFor(h, toggled.meanderId))?.parked).toBeUndefined();
    expect((await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation" && c.meanderId === toggled.meanderId)).toEqual([]);
  });

  it("a value given by a person is written to both sides; where the plug-in still rewrites it, the guard parks it again", async () => {
    const [item] = (await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation" && c.meanderId === looped.meanderId);
    await service.resolveConflict(L, item!.conflictId, { choice: "value", values: { "address.city": "TROMSØ" } });
    const [portal, meander] = cityWrites(looped);
    await run();
    // The portal holds it already: only Meander is written, and Meander's normalisation starts the loop afresh.
    expect(cityWrites(looped)).toEqual([portal, meander + 1]);
    for (let i = 0; i < 4; i++) await run();
    const again = (await service.listConflicts(L, "open")).filter((c) => c.kind === "oscillation" && c.meanderId === looped.meanderId);
    expect(again).toHaveLength(1);
    const [p2, m2] = cityWrites(looped);
    expect(p2 + m2 - portal - meander).toBeLessThanOrEqual(4);
  });
});
