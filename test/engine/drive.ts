/** Plays a generated history against a world, keeping what the invariants need to know. */
import type { Side } from "../../shared/core/types.js";
import type { MemoryEngine } from "../support/memory/engine.js";
import { EDITED, ENTITY, type History, recordsOf, type Step, seedPerson } from "./history.js";

export interface Played {
  /** Last edit per person and side: the value must be on both sides at the end. */
  readonly edits: Map<string, { side: Side; person: number; value: number }>;
  /** People whose portal record was deleted: their Meander record is unlinked by policy and may stay so. */
  readonly orphaned: Set<number>;
  /** People deleted in Meander (their portal partner goes too) and people never seeded anywhere. */
  readonly gone: Set<number>;
  people: number;
}

const never = () => new Promise<void>(() => {});

export async function play(e: MemoryEngine, history: History): Promise<Played> {
  const played: Played = { edits: new Map(), orphaned: new Set(), gone: new Set(), people: 0 };
  for (const at of history.people) seedPerson(e, played.people++, at);
  for (const step of history.steps) await playStep(e, step, played);
  return played;
}

function edit(e: MemoryEngine, played: Played, s: Side, person: number, value: number): boolean {
  const [record] = recordsOf(e, s, person);
  if (!record) return false;
  (s === "meander" ? e.meander : e.portal).edit(ENTITY[s], record.id, EDITED[s].patch(value));
  played.edits.set(`${person}:${s}`, { side: s, person, value });
  return true;
}

async function playStep(e: MemoryEngine, step: Step, played: Played): Promise<void> {
  const person = "person" in step ? step.person % Math.max(1, played.people) : 0;
  switch (step.kind) {
    case "run":
      await e.run();
      return;
    case "edit":
      if (played.people > 0) edit(e, played, step.side, person, step.value);
      return;
    case "delete": {
      if (played.people === 0) return;
      const [record] = recordsOf(e, step.side, person);
      if (!record) return;
      (step.side === "meander" ? e.meander : e.portal).remove(ENTITY[step.side], record.id);
      if (step.side === "meander") played.gone.add(person);
      else played.orphaned.add(person);
      for (const s of ["meander", "portal"] as const) played.edits.delete(`${person}:${s}`);
      return;
    }
    case "create":
      seedPerson(e, played.people++, step.where);
      return;
    case "crash": {
      let seen = 0;
      let gone = false;
      let died = () => {};
      const dead = new Promise<void>((resolve) => {
        died = resolve;
      });
      // The process dies there: nothing of it goes on (memory/engine.ts, `dead`).
      const run = e
        .with({
          pause: (point) => {
            if (point !== step.point || seen++ !== step.nth) return;
            gone = true;
            died();
            return never();
          },
          dead: () => gone,
        })
        .run();
      await Promise.race([run, dead]);
      // The dead run holds its lease until it expires.
      e.clock.advance(e.deps.settings.leaseMs + 1);
      return;
    }
    case "loseReply": {
      const target = step.side === "meander" ? e.meander : e.portal;
      let calls = 0;
      target.hooks = { loseReply: () => calls++ === step.nth };
      await e.run().finally(() => {
        target.hooks = {};
      });
      return;
    }
    case "expire":
      (step.side === "meander" ? e.meander : e.portal).expireCursors();
      return;
    case "raceEdit": {
      const target = step.side === "meander" ? e.meander : e.portal;
      let done = played.people === 0;
      // A person's edit lands while the run is between its read and its first write to that side.
      target.hooks = {
        beforeApply: () => {
          if (done) return;
          done = true;
          edit(e, played, step.side, person, step.value);
        },
      };
      await e.run().finally(() => {
        target.hooks = {};
      });
      return;
    }
  }
}

/** Runs until a run writes nothing (a crashed run's lease expired first); the runs a fresh history needs. */
export async function settle(e: MemoryEngine): Promise<void> {
  for (let i = 0; i < 8; i++) {
    e.clock.advance(e.deps.settings.leaseMs + 1);
    const before = e.meander.opsWritten + e.portal.opsWritten;
    const result = await e.run();
    if (result.status === "succeeded" && e.meander.opsWritten + e.portal.opsWritten === before) return;
  }
}
