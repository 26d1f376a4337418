/**
 * What every resilience case shares: a seeded world (both simulators with canary people,
 * the real service on Azurite, Key Vault read with a separate identity), the runs that
 * settle it, and the end-state audit that decides "nothing lost". The leak scan is in
 * leaks.ts, the figures in summary.ts.
 */
import { createAzureCredential } from "../../shared/adapters/identity.js";
import type { ServiceOverrides } from "../../shared/composition.js";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import { inScope, normalizeKey } from "../../shared/core/matching.js";
import type { SyncResult } from "../../shared/core/types.js";
import { createJsonLogger } from "../../shared/logging.js";
import { freePort } from "../../sim/azurite.js";
import type { DatasetOptions } from "../../sim/data/generator.js";
import { type DataverseSimOptions, DEFAULT_TENANT_ID } from "../../sim/dataverse/index.js";
import type { MeanderSimOptions } from "../../sim/meander/index.js";
import { LOCAL_CLIENT } from "../../sim/stack.js";
import { type Harness, shiftableClock, startHarness } from "../sync/harness.js";
import { deadlineSides } from "./deadlines.js";

export const L = "likepersons";

/** The suite's seed: RESILIENCE_SEED replays a run; otherwise a fresh one, printed. */
export function suiteSeed(file: string): number {
  const given = process.env.RESILIENCE_SEED;
  const seed = given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error("RESILIENCE_SEED must be an integer");
  console.info(`[resilience] ${file}: seed ${seed} (replay: RESILIENCE_SEED=${seed} npx vitest run test/resilience/${file})`);
  return seed;
}

export { Draw as Rng } from "../../sim/data/generator.js";

export const smallDataset = (seed: number, extra: Partial<DatasetOptions> = {}): DatasetOptions => ({
  seed,
  people: 28,
  overlap: 0.7,
  conflictingShare: 0.2,
  formatNoiseShare: 0.2,
  ambiguousShare: 0.07,
  portalOnlyMembers: 3,
  activitiesPerPerson: 0,
  canaries: 3,
  ...extra,
});

export const SMALL_SETTINGS = { SYNC_PAGE_SIZE: "6", SYNC_PORTAL_BATCH_SIZE: "4", SYNC_MEANDER_BATCH_SIZE: "4", SYNC_LEASE_SECONDS: "30" };

export interface World extends Harness {
  readonly clock: ReturnType<typeof shiftableClock>;
  /** Bearer tokens the service presented to Meander. */
  readonly meanderTokens: Set<string>;
  /** Everything a caller or operator could read that must stay free of personal data and secrets. */
  readonly exposed: string[];
}

/** Stands in for the managed identity in Azure: reads Key Vault and gets Meander's token; not the portal's app registration. */
export const IDENTITY = { clientId: "99999999-8888-7777-6666-555555555555", clientSecret: "identity-secret-7c1e" };

/**
 * A seeded world. As in Azure, the portal's client secret is read from Key Vault (the
 * simulator's) with a separate identity, so rotating the app's secret does not lock the
 * vault.
 */
export interface WorldOptions {
  readonly settings?: Record<string, string>;
  readonly overrides?: ServiceOverrides;
  readonly dataverse?: Partial<Omit<DataverseSimOptions, "tls">>;
  readonly meander?: Partial<MeanderSimOptions>;
  /** Build the adapters with this per-request deadline instead of the production one. */
  readonly deadlineMs?: number;
}

export async function startWorld(dataset: DatasetOptions, options: WorldOptions = {}): Promise<World> {
  const clock = shiftableClock();
  const meanderTokens = new Set<string>();
  const [port, meanderPort] = [await freePort(), await freePort()];
  const origin = `https://127.0.0.1:${port}`;
  const credential = createAzureCredential({ tenantId: DEFAULT_TENANT_ID, ...IDENTITY, authorityHost: origin });
  const sink: { logs: string[] } = { logs: [] };
  const settings = { ...SMALL_SETTINGS, KEY_VAULT_URL: origin, ...options.settings };
  const sides =
    options.deadlineMs === undefined
      ? undefined
      : deadlineSides({
          dataverseOrigin: origin,
          meanderUrl: `http://127.0.0.1:${meanderPort}`,
          credential,
          timeoutMs: options.deadlineMs,
          logger: createJsonLogger((_level, line) => sink.logs.push(line)),
          pageSize: Number(settings.SYNC_PAGE_SIZE),
          batchSize: Number(settings.SYNC_PORTAL_BATCH_SIZE),
        });
  const h = await startHarness({
    dataset,
    dataverse: { port, clients: [LOCAL_CLIENT, IDENTITY], ...options.dataverse },
    meander: {
      port: meanderPort,
      ...options.meander,
      acceptToken: (token) => {
        meanderTokens.add(token);
        return token.length > 0;
      },
    },
    settings,
    overrides: { clock, credential, ...(sides ? { sides } : {}), ...options.overrides },
  });
  sink.logs = h.logs;
  return Object.assign(h, { clock, meanderTokens, exposed: [] as string[] });
}

/** Tables' circuit breaker lets one call through this long after it opened (shared/resilience.ts default). */
const BREAKER_HALF_OPEN_MS = 15_000;

/**
 * Runs until one succeeds (a killed or stopped run's lease is skipped by moving the clock).
 * A run that throws (storage down before the lease) counts as a failed try.
 */
export async function settle(w: World, configId = L, tries = 6, done: (r: SyncResult) => boolean = (r) => r.status === "succeeded"): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  const seen: string[] = [];
  for (let i = 0; i < tries; i++) {
    w.clock.shift(31_000);
    let result: SyncResult | undefined;
    let code: string | undefined;
    try {
      result = await w.service.runSync(configId, { trigger: "timer" });
      results.push(result);
      w.exposed.push(JSON.stringify(result));
      code = result.errors.at(-1)?.code;
      seen.push(`${result.status}[${result.errors.map((e) => e.code).join(",")}]`);
      if (done(result)) return results;
    } catch (error) {
      code = (error as { code?: string }).code;
      w.exposed.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      seen.push(`threw[${code}]`);
    }
    // An open breaker refuses calls until it half-opens; token clients keep their own real-time back-off (MSAL's throttling).
    const wait = code === "CIRCUIT_OPEN" ? BREAKER_HALF_OPEN_MS : code === "TABLES_NETWORK" ? 1_500 : result?.status === "failed" || !result ? 600 : 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  throw new Error(`no run of ${configId} succeeded in ${tries} tries: ${seen.join(" ")}`);
}

/**
 * Both sides as content, as crash.test.ts compares them: canonical values without ids
 * (created records get new ids), sorted, each with whether it is linked.
 */
export async function snapshot(w: Harness, configId = L) {
  const compiled = w.service.deps.configs.get(configId)!;
  const linked = new Set<string>();
  for await (const link of w.service.deps.state.listLinks(configId)) linked.add(`m:${link.meanderId}`).add(`p:${link.portalId}`);
  const meander = w.meander.store
    .list("likepersons")
    .map((r) => JSON.stringify({ ...canonicalFromMeander(compiled, r.data as Record<string, unknown>), linked: linked.has(`m:${r.id}`) }));
  const portal = w.dataverse.store.list("contacts").map((c) => JSON.stringify({ ...canonicalFromPortal(compiled, c), linked: linked.has(`p:${c.contactid}`) }));
  return { meander: meander.sort(), portal: portal.sort() };
}

export interface Audit {
  /** Records on one side sharing a member number or e-mail with another (the data set's ambiguous twins excepted). */
  duplicates: number;
  /** In-scope records neither linked, nor in the ledger, nor part of an open conflict. */
  dropped: number;
  /** Linked pairs whose mapped values differ outside parked fields: an edit that did not arrive. */
  lostEdits: number;
  ledger: number;
  openConflicts: number;
  /** Which records were dropped (`m:` / `p:` and the id), for the failure message. */
  droppedIds: string[];
}

/** The end state judged by invariants alone (no reference run needed). */
export async function audit(w: Harness, configId = L): Promise<Audit> {
  const compiled = w.service.deps.configs.get(configId)!;
  const { state } = w.service.deps;
  const ledger = await state.listLedger(configId);
  const conflicts = await state.listConflicts(configId, "open");
  const excused = new Set(ledger.map((e) => `${e.side === "meander" ? "m" : "p"}:${e.recordId}`));
  for (const c of conflicts) {
    if (c.kind !== "ambiguous") continue;
    const subject = c.meanderId ? "m" : "p";
    excused.add(`${subject}:${c.meanderId ?? c.portalId}`);
    for (const id of c.candidates ?? []) excused.add(`${subject === "m" ? "p" : "m"}:${id}`);
  }
  const parkedOf = new Map<string, Set<string>>();
  for (const c of conflicts) if (c.meanderId) parkedOf.set(c.meanderId, new Set(c.fields.map((f) => f.field)));

  const links = [];
  for await (const link of state.listLinks(configId)) links.push(link);
  const linked = new Set(links.flatMap((l) => [`m:${l.meanderId}`, `p:${l.portalId}`]));
  const meander = w.meander.store.list("likepersons");
  const portal = w.dataverse.store.list("contacts").filter((c) => inScope(compiled.config.portal.scope, c));
  const m = new Map(meander.map((r) => [r.id, r]));
  const p = new Map(portal.map((c) => [String(c.contactid), c]));

  let lostEdits = 0;
  for (const link of links) {
    const mr = m.get(link.meanderId);
    const pr = p.get(link.portalId);
    if (!mr || !pr) {
      lostEdits += 1;
      continue;
    }
    const a = canonicalFromMeander(compiled, mr.data as Record<string, unknown>);
    const b = canonicalFromPortal(compiled, pr);
    const parked = new Set([...(link.parked ?? []), ...(parkedOf.get(link.meanderId) ?? [])]);
    // A one-way field (memberNumber, portal to Meander) has no canonical value on its target side.
    for (const key of Object.keys(b)) if (key in a && !parked.has(key) && a[key] !== b[key]) lostEdits += 1;
  }
  // A record whose partner was deleted on the other side stays, uncoupled, when the delete policy says
  // "unlink" or when it was edited meanwhile (an edited survivor is never deleted): not dropped.
  const allPortal = new Set(w.dataverse.store.list("contacts").map((c) => String(c.contactid)));
  for (const r of meander) {
    const partner = (r.data as { portalContactId?: unknown }).portalContactId;
    if (typeof partner === "string" && !allPortal.has(partner)) excused.add(`m:${r.id}`);
  }
  for (const c of portal) if (typeof c.hlf_meanderid === "string" && !m.has(c.hlf_meanderid)) excused.add(`p:${String(c.contactid)}`);
  const droppedIds = [
    ...meander.filter((r) => !linked.has(`m:${r.id}`) && !excused.has(`m:${r.id}`)).map((r) => `m:${r.id}`),
    ...portal.filter((c) => !linked.has(`p:${c.contactid}`) && !excused.has(`p:${c.contactid}`)).map((c) => `p:${String(c.contactid)}`),
  ];
  const dropped = droppedIds.length;

  const twins = new Set([...excused].filter((k) => k.startsWith("p:")).map((k) => k.slice(2)));
  const dupes = (values: (string | undefined)[]) => values.length - new Set(values).size;
  const duplicates =
    dupes(meander.map((r) => normalizeKey("email", (r.data as { contact?: { email?: unknown } }).contact?.email)).filter(Boolean)) +
    dupes(meander.map((r) => normalizeKey("memberNumber", (r.data as { memberNumber?: unknown }).memberNumber)).filter(Boolean)) +
    dupes(
      portal
        .filter((c) => !twins.has(String(c.contactid)))
        .map((c) => normalizeKey("email", c.emailaddress1))
        .filter(Boolean),
    ) +
    dupes(portal.map((c) => normalizeKey("memberNumber", c.hlf_membernumber)).filter(Boolean));
  return { duplicates, dropped, lostEdits, ledger: ledger.length, openConflicts: conflicts.length, droppedIds };
}
