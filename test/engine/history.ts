/**
 * Generated histories for the engine's property tests: people on one side or both, edits,
 * deletions and creations on both sides, and runs that crash at a named pause point, lose a
 * batch reply, or meet a person's edit between their read and their write; and change cursors
 * that expire (the next read of that side is a full one). Driven through the real runSync over
 * in-memory ports (test/support/memory).
 */
import fc from "fast-check";
import { loadCompiledConfigs } from "../../shared/config/syncConfig.js";
import type { CompiledConfig } from "../../shared/core/compile.js";
import { compileConfig } from "../../shared/core/compile.js";
import type { Side } from "../../shared/core/types.js";
import { kari, meanderData, type Person, portalData, TWO_WAY_DIR } from "../core/fixtures.js";
import { type MemoryEngine, memoryEngine, SETTINGS } from "../support/memory/engine.js";

/** Every point where the engine awaits its pause hook (shared/sync/loop.ts, apply.ts, engine.ts). */
export const PAUSE_POINTS = [
  "after-read-held",
  "before-checkpoint",
  "after-checkpoint",
  "after-writes",
  "after-link-back",
  "after-links",
  "before-cursors",
] as const;

export type Where = Side | "both";
export type Step =
  | { readonly kind: "run" }
  | { readonly kind: "crash"; readonly point: (typeof PAUSE_POINTS)[number]; readonly nth: number }
  | { readonly kind: "loseReply"; readonly side: Side; readonly nth: number }
  | { readonly kind: "raceEdit"; readonly side: Side; readonly person: number; readonly value: number }
  | { readonly kind: "expire"; readonly side: Side }
  | { readonly kind: "edit"; readonly side: Side; readonly person: number; readonly value: number }
  | { readonly kind: "delete"; readonly side: Side; readonly person: number }
  | { readonly kind: "create"; readonly where: Where };

export interface History {
  readonly people: readonly Where[];
  readonly pageSize: number;
  readonly steps: readonly Step[];
}

const side = fc.constantFrom<Side>("meander", "portal");
const where = fc.constantFrom<Where>("meander", "portal", "both", "both");
const person = fc.nat(9);
const value = fc.nat(27);

const peopleSteps: fc.Arbitrary<Step>[] = [
  fc.constant<Step>({ kind: "run" }),
  fc.record({ kind: fc.constant("edit" as const), side, person, value }),
  fc.record({ kind: fc.constant("delete" as const), side, person }),
  fc.record({ kind: fc.constant("create" as const), where }),
];
const faultSteps: fc.Arbitrary<Step>[] = [
  fc.record({ kind: fc.constant("crash" as const), point: fc.constantFrom(...PAUSE_POINTS), nth: fc.nat(3) }),
  fc.record({ kind: fc.constant("loseReply" as const), side, nth: fc.nat(2) }),
  fc.record({ kind: fc.constant("raceEdit" as const), side, person, value }),
  fc.record({ kind: fc.constant("expire" as const), side }),
];

export const histories = (faults: boolean): fc.Arbitrary<History> =>
  fc.record({
    people: fc.array(where, { maxLength: 6 }),
    pageSize: fc.constantFrom(2, 3, 100),
    steps: fc.array(fc.oneof(...peopleSteps, ...(faults ? faultSteps : [])), { minLength: 1, maxLength: 12 }),
  });

/** likepersons as shipped, with the mass-delete guard opened: tiny worlds delete a large share. */
export const config: CompiledConfig = (() => {
  // The generic two-way mapping (test/configs/two-way): every path of a run, both ways. HLF's own
  // rules (the portal master of member data, no creates from Meander) are in test/sync/memberRegister.test.ts.
  const shipped = loadCompiledConfigs(TWO_WAY_DIR).get("likepersons")!.config;
  return compileConfig({ ...shipped, massDeleteGuard: { maxDeletes: 1000, maxPercent: 100 } });
})();

/** A person's own fields: unique match keys, so nobody is ambiguous by construction. */
export const personOf = (n: number): Person => ({
  ...kari,
  firstName: `Person${n}`,
  email: `person${n}@example.no`,
  memberNumber: String(10_000 + n),
  mobile: null,
});

/** What people edit: a Meander-owned field in Meander, a portal-owned one in the portal (no conflicts by construction). */
export const EDITED = {
  meander: { key: "trainingCompletedOn", patch: (v: number) => ({ trainingCompletedOn: `2024-02-${String(v + 1).padStart(2, "0")}` }) },
  portal: { key: "address.city", patch: (v: number) => ({ address1_city: `City${v}` }) },
} as const;

export const ENTITY: Record<Side, string> = { meander: "likepersons", portal: "contacts" };

export function newWorld(pageSize: number): MemoryEngine {
  return memoryEngine({ settings: { ...SETTINGS, pageSize } }, new Map([["likepersons", config]]));
}

export function seedPerson(e: MemoryEngine, n: number, at: Where): void {
  const p = personOf(n);
  if (at !== "portal") e.meander.seed("likepersons", meanderData("", p));
  if (at !== "meander") e.portal.seed("contacts", portalData("", p));
}

/** A person's live records on one side, found by e-mail (it flows both ways and is never edited). */
export function recordsOf(e: MemoryEngine, s: Side, n: number) {
  const email = personOf(n).email;
  const side = s === "meander" ? e.meander : e.portal;
  return side.list(ENTITY[s]).filter((r) => {
    const value = s === "meander" ? (r.data.contact as { email?: unknown } | undefined)?.email : r.data.emailaddress1;
    return typeof value === "string" && value.toLowerCase() === email;
  });
}
