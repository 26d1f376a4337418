/**
 * Crash safety on the whole stack: batch replies lost after the portal applied them (the
 * real adapters' retries meet Dataverse's answers) lose nothing. After the next runs, both
 * sides hold exactly what an uninterrupted run gives: no duplicate, no lost edit. A run
 * killed at each point it pauses at: test/engine/crash.test.ts, on in-memory ports.
 */
import { describe, expect, it } from "vitest";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import { type Harness, shiftableClock, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 5, people: 40, overlap: 0.7, conflictingShare: 0.15, formatNoiseShare: 0.2, ambiguousShare: 0.05, portalOnlyMembers: 10 };
const SETTINGS = { SYNC_PAGE_SIZE: "8", SYNC_PORTAL_BATCH_SIZE: "5", SYNC_MEANDER_BATCH_SIZE: "5", SYNC_LEASE_SECONDS: "30" };

type Phase = "initial" | "incremental";

/** Edits between the two phases, by ids the generator gives (the same in every case). */
function edit(h: Harness): void {
  const people = h.dataset!.meander.likepersons;
  const contacts = h.dataset!.portal.contacts.filter((c) => c.hlf_likepersonstatus !== null);
  h.meander.store.edit("likepersons", people[0]!.id, { address: { city: "Vardø" } });
  h.meander.store.edit("likepersons", people[1]!.id, { status: "retired" });
  h.meander.store.create("likepersons", {
    ...people[2]!,
    id: undefined,
    memberNumber: "7777777",
    contact: { email: "ny@example.no", mobile: "90000001" },
    portalContactId: null,
  });
  h.dataverse.store.edit("contacts", contacts[0]!.contactid, { address1_city: "Kirkenes" });
  h.dataverse.store.edit("contacts", contacts[1]!.contactid, { mobilephone: "+47 400 00 002" });
  h.meander.store.remove("likepersons", people[3]!.id);
}

/**
 * Both sides as content: canonical values without ids, sorted (created records get new
 * ids), each with whether it is linked. Link fields are left out: a pair coupled after a
 * crash may carry its partner's id where the uninterrupted run created it (both are right).
 */
async function snapshot(h: Harness) {
  const compiled = h.service.deps.configs.get(L)!;
  const linked = new Set<string>();
  for await (const link of h.service.deps.state.listLinks(L)) linked.add(`m:${link.meanderId}`).add(`p:${link.portalId}`);
  const meander = h.meander.store
    .list("likepersons")
    .map((r) => JSON.stringify({ ...canonicalFromMeander(compiled, r.data as Record<string, unknown>), linked: linked.has(`m:${r.id}`) }));
  const portal = h.dataverse.store.list("contacts").map((c) => JSON.stringify({ ...canonicalFromPortal(compiled, c), linked: linked.has(`p:${c.contactid}`) }));
  return { meander: meander.sort(), portal: portal.sort() };
}

async function runUntilDone(h: Harness, clock: ReturnType<typeof shiftableClock>) {
  for (let i = 0; i < 6; i++) {
    clock.shift(31_000); // past any lease a killed run left behind
    const result = await h.service.runSync(L, { trigger: "timer" });
    if (result.status === "succeeded") return result;
  }
  throw new Error("no run succeeded after a crash");
}

/** Runs both phases; in `killAt` the pause hook's n-th call never returns (the run dies there). */
async function scenario(killAt?: { phase: Phase; point: number }, lostReplies = 0) {
  const clock = shiftableClock();
  let phase: Phase | "settling" = "initial";
  let calls = 0;
  const points: Record<Phase, number> = { initial: 0, incremental: 0 };
  let died: () => void = () => {};
  const dead = new Promise<void>((resolve) => {
    died = resolve;
  });
  const h = await startHarness({
    dataset: DATASET,
    settings: SETTINGS,
    overrides: {
      clock,
      pause: () => {
        if (phase === "settling") return;
        points[phase]++;
        if (killAt && killAt.phase === phase && calls++ === killAt.point) {
          died();
          return new Promise<void>(() => {});
        }
      },
    },
  });
  try {
    const first = h.service.runSync(L, { trigger: "timer" });
    if (killAt?.phase === "initial") {
      await dies(first, dead);
      phase = "settling";
      await runUntilDone(h, clock);
    } else expect((await first).status).toBe("succeeded");

    phase = "incremental";
    edit(h);
    if (lostReplies > 0) h.dataverse.faults.failNext(lostReplies, { drop: "afterProcessing", match: (m, p) => m === "POST" && p.includes("$batch") });
    const second = h.service.runSync(L, { trigger: "timer" });
    if (killAt?.phase === "incremental") await dies(second, dead);
    else await second;
    phase = "settling";
    await runUntilDone(h, clock);
    return { snapshot: await snapshot(h), points };
  } finally {
    await h.close();
  }
}

/** The run reached its kill point before finishing: it never will. */
async function dies(run: Promise<unknown>, dead: Promise<void>): Promise<void> {
  const first = await Promise.race([run.then(() => "finished"), dead.then(() => "died")]);
  expect(first).toBe("died");
}

describe("crash safety", () => {
  it("loses nothing when batch replies are lost after the portal applied them", async () => {
    const reference = await scenario();
    const outcome = await scenario(undefined, 2);
    expect(outcome.snapshot).toEqual(reference.snapshot);
  });
});
