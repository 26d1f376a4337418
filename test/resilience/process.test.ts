/**
 * Process faults, many and cheap: one world, synced once; then, over and over, seeded
 * edits on both sides and a run that dies at a seeded point (a named point of the run, or
 * inside a batch write: before it is sent, or after the system applied it and before the
 * reply arrived), and the next runs resume. After each round the end state must hold
 * every edit on both sides, with no duplicate and nothing dropped.
 *
 * test/sync/crash.test.ts already kills 32 first-and-second-run stories against a
 * reference run; this adds at least 100 kills in the steady state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComposedService } from "../../shared/composition.js";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import type { RecordSide } from "../../shared/ports.js";
import { exposedText, leaks, secretsOf } from "./leaks.js";
import { Summary } from "./summary.js";
import { audit, L, Rng, settle, smallDataset, startWorld, suiteSeed, type World } from "./world.js";

const FILE = "process.test.ts";
const KILLS = 100;
const seed = suiteSeed(FILE);
const summary = new Summary(FILE, seed);

/** Counts the run's events and kills the run at the chosen one: the promise never settles, as in a dead process. */
class Killer {
  events = 0;
  killAt = -1;
  killed: string | undefined;
  private died: () => void = () => {};
  dead = Promise.resolve();

  arm(at: number): void {
    this.events = 0;
    this.killAt = at;
    this.killed = undefined;
    this.dead = new Promise((resolve) => {
      this.died = resolve;
    });
  }

  /** True when this event is the one the run dies at. */
  hit(label: string): boolean {
    if (this.events++ !== this.killAt) return false;
    this.killed = label;
    this.died();
    return true;
  }
}

const never = () => new Promise<never>(() => {});

function mortal(side: RecordSide, killer: Killer): RecordSide {
  return {
    side: side.side,
    readChanges: (entity, cursor, options) => side.readChanges(entity, cursor, options),
    getByIds: (entity, ids, options) => side.getByIds(entity, ids, options),
    findByField: (entity, field, values, options) => side.findByField(entity, field, values, options),
    async write(entity, ops) {
      if (killer.hit(`${side.side} write, before sending`)) return never();
      const outcomes = await side.write(entity, ops);
      if (killer.hit(`${side.side} write, applied, reply lost`)) return never();
      return outcomes;
    },
  };
}

interface Edit {
  readonly side: "meander" | "portal";
  readonly id: string;
  readonly key: string;
  readonly value: string;
}

describe("process faults: runs killed at seeded points, resumed by the next run", () => {
  let w: World;
  let service: ComposedService;
  const killer = new Killer();
  const rng = new Rng(seed);

  beforeAll(async () => {
    w = await startWorld(smallDataset(seed), { overrides: { pause: (point) => (killer.hit(`pause ${point}`) ? never() : undefined) } });
    service = await w.another({ sides: { meander: mortal(w.service.sides.meander, killer), portal: mortal(w.service.sides.portal, killer) } });
    killer.arm(-1);
    expect((await service.runSync(L, { trigger: "timer" })).status).toBe("succeeded");
  });
  afterAll(async () => {
    summary.write();
    await w?.close();
  });

  /** A few edits on linked pairs, on fields whose change flows (city from Meander, mobile from the portal). */
  async function edits(round: number): Promise<Edit[]> {
    const links = [];
    for await (const link of w.service.deps.state.listLinks(L)) links.push(link);
    const out: Edit[] = [];
    for (let k = 0; k < rng.int(1, 3); k++) {
      const link = rng.pick(links);
      if (rng.int(0, 1) === 0) {
        const city = `By${round}x${k}`;
        w.meander.store.edit("likepersons", link.meanderId, { address: { city } });
        out.push({ side: "meander", id: link.meanderId, key: "address.city", value: city });
      } else {
        const mobile = `4${String(rng.int(0, 9_999_999)).padStart(7, "0")}`;
        w.dataverse.store.edit("contacts", link.portalId, { mobilephone: mobile });
        out.push({ side: "portal", id: link.portalId, key: "contact.mobile", value: `+47${mobile}` });
      }
    }
    if (round % 4 === 0) {
      const n = 3_000_000 + round;
      w.meander.store.create("likepersons", {
        memberNumber: null,
        firstName: "Ny",
        lastName: `Person${round}`,
        contact: { email: `ny${round}@example.no`, mobile: `9${n}` },
        address: { postalCode: "0150", city: "Oslo" },
        chapter: "HLF Oslo",
        status: "active",
        trainingCompletedOn: null,
        portalContactId: null,
      });
    }
    // The same field edited twice in a round: only the last value is expected.
    return [...new Map(out.map((e) => [`${e.side}:${e.id}:${e.key}`, e])).values()];
  }

  /** Each edit still on its own side and arrived on the other. */
  async function arrived(list: readonly Edit[]): Promise<number> {
    const compiled = w.service.deps.configs.get(L)!;
    let lost = 0;
    for (const e of list) {
      const [link] = await w.service.deps.state.getLinks(L, [{ side: e.side, id: e.id }]);
      const m = link && w.meander.store.get("likepersons", link.meanderId);
      const p = link && w.dataverse.store.get("contacts", link.portalId);
      const values = [m && canonicalFromMeander(compiled, m.data as Record<string, unknown>)[e.key], p && canonicalFromPortal(compiled, p)[e.key]];
      if (values[0] !== e.value || values[1] !== e.value) lost += 1;
    }
    return lost;
  }

  it(`ends every round with all edits on both sides, whichever of ${KILLS}+ seeded points the run dies at`, { timeout: 120_000 }, async () => {
    // How many events an ordinary incremental run has: kill points are drawn below it.
    await edits(0);
    killer.arm(-1);
    await service.runSync(L, { trigger: "timer" });
    let span = Math.max(4, killer.events);
    const at = new Map<string, number>();
    let kills = 0;
    for (let round = 1; kills < KILLS && round < KILLS * 2; round++) {
      const list = await edits(round);
      killer.arm(rng.int(0, span - 1));
      const run = service.runSync(L, { trigger: "timer" });
      const first = await Promise.race([run.then(() => "finished" as const), killer.dead.then(() => "died" as const)]);
      if (first === "finished") {
        // This round's run had fewer events than drawn: draw below what it had next time.
        span = Math.max(4, killer.events);
        killer.arm(-1);
        continue;
      }
      kills += 1;
      const point = killer.killed ?? "?";
      at.set(point, (at.get(point) ?? 0) + 1);
      killer.arm(-1);
      await settle(w);
      const state = await audit(w);
      const lost = await arrived(list);
      const ok = state.duplicates + state.dropped + state.lostEdits + lost === 0;
      summary.add("process faults", `round ${round}: killed at ${point}`, {
        ok,
        duplicates: state.duplicates,
        dropped: state.dropped,
        lostEdits: state.lostEdits + lost,
      });
      expect({ round, point, ...state, lost }).toMatchObject({ round, point, duplicates: 0, dropped: 0, lostEdits: 0, lost: 0 });
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    const leaked = leaks(await exposedText(w), await secretsOf(w));
    summary.add("process faults", "leak scan after all rounds", { ok: leaked.count === 0, leakedCanaries: leaked.count });
    expect(leaked).toEqual({ count: 0, found: [] });
    console.info(`[resilience] ${FILE}: kills by point ${JSON.stringify(Object.fromEntries(at))}`);
  });
});
