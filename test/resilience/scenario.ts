/**
 * One fault case as a whole story: a first sync, edits on both sides, a second sync, with
 * the fault injected in one of the two runs; then runs until one succeeds. The end state
 * is compared with the same story told without the fault, and audited by invariants.
 */
import type { SyncResult } from "../../shared/core/types.js";
import type { DatasetOptions } from "../../sim/data/generator.js";
import { exposedText, leaks, secretsOf } from "./leaks.js";
import { type Audit, audit, L, settle, snapshot, startWorld, type World, type WorldOptions } from "./world.js";

export type Phase = "initial" | "incremental";

export interface FaultCase {
  readonly name: string;
  readonly phase: Phase;
  /** Arms the fault just before the run of `phase`. */
  inject(w: World): void | Promise<void>;
  /** The history (run records) or the operators' log shows what happened. */
  told(history: readonly SyncResult[], logs: string): boolean;
  readonly settings?: Record<string, string>;
  readonly world?: WorldOptions;
  /** Secrets this case introduces (a rotated client secret). */
  readonly secrets?: readonly string[];
}

export interface Outcome {
  readonly snapshot: Awaited<ReturnType<typeof snapshot>>;
  readonly audit: Audit;
  readonly history: SyncResult[];
  readonly told: boolean;
  readonly leaked: { count: number; found: string[] };
  readonly retryAfterViolations: number;
  readonly runs: number;
}

/** Edits between the two runs, by the generator's ids (the same in every case of a seed). */
export function edit(w: World): void {
  const people = w.dataset!.meander.likepersons;
  const contacts = w.dataset!.portal.contacts.filter((c) => c.hlf_likepersonstatus !== null);
  w.meander.store.edit("likepersons", people[0]!.id, { address: { city: "Vardø" } });
  w.meander.store.edit("likepersons", people[1]!.id, { status: "retired" });
  w.meander.store.create("likepersons", {
    ...people[2]!,
    id: undefined,
    memberNumber: "7777777",
    contact: { email: "ny.person@example.no", mobile: "90000001" },
    portalContactId: null,
  });
  w.dataverse.store.edit("contacts", contacts[0]!.contactid, { address1_city: "Kirkenes" });
  w.dataverse.store.edit("contacts", contacts[1]!.contactid, { mobilephone: "+47 400 00 002" });
  w.dataverse.store.create("contacts", {
    ...contacts[2]!,
    contactid: undefined,
    hlf_membernumber: "8888888",
    emailaddress1: "ny.kontakt@example.no",
    mobilephone: "40000003",
  });
  w.meander.store.remove("likepersons", people[3]!.id);
}

/** A run that throws (a fatal error escaping the engine) counts as a failed attempt; its message is kept for the leak scan. */
async function attempt(w: World, run: () => Promise<SyncResult>): Promise<SyncResult | undefined> {
  try {
    const result = await run();
    w.exposed.push(JSON.stringify(result));
    return result;
  } catch (error) {
    w.exposed.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return undefined;
  }
}

export async function story(dataset: DatasetOptions, fault?: FaultCase): Promise<Outcome> {
  const w = await startWorld(dataset, { ...fault?.world, settings: { ...fault?.world?.settings, ...fault?.settings } });
  try {
    let runs = 0;
    for (const phase of ["initial", "incremental"] as const) {
      if (phase === "incremental") edit(w);
      if (fault?.phase === phase) await fault.inject(w);
      const result = await attempt(w, () => w.service.runSync(L, { trigger: "timer" }));
      runs += 1;
      if (result?.status !== "succeeded") runs += (await settle(w)).length;
    }
    const history = await w.service.getSyncHistory(L, 50);
    const text = await exposedText(w);
    return {
      snapshot: await snapshot(w),
      audit: await audit(w),
      history,
      told: fault ? fault.told(history, w.logs.join("\n")) : true,
      leaked: leaks(text, await secretsOf(w, fault?.secrets)),
      retryAfterViolations: w.dataverse.counters().retryAfterViolations + w.meander.counters().retryAfterViolations,
      runs,
    };
  } finally {
    await w.close();
  }
}

/** Whether any run record carries one of these error codes or a note matching `note`. */
export const historyShows = (history: readonly SyncResult[], codes: readonly string[], note?: RegExp): boolean =>
  history.some((r) => r.errors.some((e) => codes.includes(e.code)) || (note !== undefined && r.notes.some((n) => note.test(n))));
