/**
 * Crash safety over in-memory ports: a run killed at every point it pauses at (between pages,
 * after writes and before baselines, after the link-backs, before the cursors move), in a
 * first run and in an incremental one, loses nothing. After the next runs both sides hold
 * exactly what an uninterrupted run gives: no duplicate, no lost edit. (Lost batch replies
 * through the real adapters: test/sync/crash.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import { seedDataset } from "../support/memory/dataset.js";
import { type MemoryEngine, memoryEngine, SETTINGS } from "../support/memory/engine.js";

const L = "likepersons";
const DATASET = { seed: 5, people: 40, overlap: 0.7, conflictingShare: 0.15, formatNoiseShare: 0.2, ambiguousShare: 0.05, portalOnlyMembers: 10 };
type Phase = "initial" | "incremental";

/** Edits between the two phases, by the generator's ids (the same in every case). */
function edit(e: MemoryEngine, dataset: ReturnType<typeof seedDataset>): void {
  const people = dataset.meander.likepersons;
  const contacts = dataset.portal.contacts.filter((c) => c.hlf_likepersonstatus !== null);
  e.meander.edit("likepersons", people[0]!.id, { address: { city: "Vardø" } });
  e.meander.edit("likepersons", people[1]!.id, { status: "retired" });
  const { id: _id, ...copy } = people[2]! as Record<string, unknown>;
  e.meander.seed(
    "likepersons",
    { ...copy, memberNumber: "7777777", contact: { email: "ny@example.no", mobile: "90000001" }, portalContactId: null },
    "created-0",
  );
  e.portal.edit("contacts", String(contacts[0]!.contactid), { address1_city: "Kirkenes" });
  e.portal.edit("contacts", String(contacts[1]!.contactid), { mobilephone: "+47 400 00 002" });
  e.meander.remove("likepersons", people[3]!.id);
}

/** Both sides as content (canonical values, sorted, each with whether it is linked): created records get new ids. */
async function snapshot(e: MemoryEngine) {
  const compiled = e.deps.configs.get(L)!;
  const linked = new Set<string>();
  for await (const link of e.state.listLinks(L)) linked.add(`m:${link.meanderId}`).add(`p:${link.portalId}`);
  const meander = e.meander.list("likepersons").map((r) => JSON.stringify({ ...canonicalFromMeander(compiled, r.data), linked: linked.has(`m:${r.id}`) }));
  const portal = e.portal.list("contacts").map((r) => JSON.stringify({ ...canonicalFromPortal(compiled, r.data), linked: linked.has(`p:${r.id}`) }));
  return { meander: meander.sort(), portal: portal.sort() };
}

async function runUntilDone(e: MemoryEngine) {
  for (let i = 0; i < 6; i++) {
    e.clock.advance(SETTINGS.leaseMs + 1); // past any lease a killed run left behind
    const result = await e.run();
    if (result.status === "succeeded") return result;
  }
  throw new Error("no run succeeded after a crash");
}

/** Both phases; at `killAt` the pause hook's n-th call of that phase never returns (the run dies there). */
async function scenario(killAt?: { phase: Phase; point: number }) {
  let phase: Phase | "settling" = "initial";
  const points: Record<Phase, number> = { initial: 0, incremental: 0 };
  let died = () => {};
  const dead = new Promise<void>((resolve) => {
    died = resolve;
  });
  const base = memoryEngine({ settings: { ...SETTINGS, pageSize: 8 } });
  const dataset = seedDataset(base, DATASET);
  /** The run under way; its process is gone once it is killed. */
  let life = { gone: false };
  const e = base.with({
    pause: () => {
      if (phase === "settling") return;
      if (killAt && killAt.phase === phase && points[phase] === killAt.point) {
        points[phase]++;
        life.gone = true;
        died();
        return new Promise<void>(() => {});
      }
      points[phase]++;
    },
  });
  // A killed run's process is gone: nothing of it goes on behind the pause (its saves run behind the next unit).
  const killable = () => {
    const own = { gone: false };
    life = own;
    return e.with({ dead: () => own.gone }).run();
  };
  const dies = async (run: Promise<unknown>) => expect(await Promise.race([run.then(() => "finished"), dead.then(() => "died")])).toBe("died");

  const first = killable();
  if (killAt?.phase === "initial") {
    await dies(first);
    phase = "settling";
    await runUntilDone(e);
  } else expect((await first).status).toBe("succeeded");
  phase = "incremental";
  edit(e, dataset);
  const second = killable();
  if (killAt?.phase === "incremental") await dies(second);
  else await second;
  phase = "settling";
  await runUntilDone(e);
  return { snapshot: await snapshot(e), points };
}

describe("crash safety on in-memory ports", () => {
  it("ends in the uninterrupted state whichever point a run dies at, every point of both phases", async () => {
    const reference = await scenario();
    expect(reference.points.initial + reference.points.incremental).toBeGreaterThanOrEqual(20);
    for (const phase of ["initial", "incremental"] as const) {
      for (let point = 0; point < reference.points[phase]; point++) {
        const outcome = await scenario({ phase, point });
        expect({ phase, point, ...outcome.snapshot }).toEqual({ phase, point, ...reference.snapshot });
      }
    }
  });
});
