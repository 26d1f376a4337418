/**
 * Bad input that is not an HTTP request: hostile app settings and config files (the
 * service refuses to start, naming the setting or the file and field, never the value),
 * and records with oversized fields, control characters, invalid e-mails and phones, and
 * missing required fields (each is synced or in the retry ledger with its id and a code;
 * no run fails; no value reaches a log line, run record or ledger entry).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadSettings, SETTING_NAMES } from "../../shared/config/settings.js";
import { defaultConfigDir, loadCompiledConfigs } from "../../shared/config/syncConfig.js";
import type { SyncResult } from "../../shared/core/types.js";
import { ConfigError, SettingsError } from "../../shared/errors.js";
import { exposedText, leaks, secretsOf } from "./leaks.js";
import { Summary } from "./summary.js";
import { audit, L, settle, smallDataset, startWorld, suiteSeed } from "./world.js";

const FILE = "input.test.ts";
const seed = suiteSeed(FILE);
const summary = new Summary(FILE, seed);
const MARK = "LEAKq7Zx";

/** A value that carries the marker, in the shapes an attacker or a typo would give. */
const hostile = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => `${MARK}${s}`),
  fc.string({ maxLength: 30 }).map((s) => `https://${MARK}.example/${encodeURIComponent(s)}`),
  fc.constantFrom(`${MARK}\u0000\u001b[31m`, `${MARK}'; DROP TABLE x;--`, `${MARK}/../../etc/passwd`, `{"${MARK}":1}`, ` ${MARK} `),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => `${MARK}${"x".repeat(n)}`),
);

const VALID_ENV = {
  DATAVERSE_URL: "https://hlf.crm4.dynamics.com",
  DATAVERSE_TENANT_ID: "00000000-0000-0000-0000-0000000000aa",
  DATAVERSE_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
  DATAVERSE_CLIENT_SECRET: "not-a-real-secret",
  MEANDER_API_URL: "https://meander.example/sync",
  MEANDER_API_SCOPE: "api://meander-sync/.default",
  AzureWebJobsStorage: "UseDevelopmentStorage=true",
};

describe("bad input: settings, config files and records", () => {
  afterAll(() => summary.write());

  it("hostile settings: refused with the setting's name, never its value", () => {
    expect(() => loadSettings(VALID_ENV)).not.toThrow();
    let tried = 0;
    let refused = 0;
    let leaked = 0;
    fc.assert(
      fc.property(fc.constantFrom(...SETTING_NAMES), hostile, (name, value) => {
        tried += 1;
        try {
          loadSettings({ ...VALID_ENV, [name]: value });
        } catch (error) {
          refused += 1;
          expect(error).toBeInstanceOf(SettingsError);
          const text = `${(error as Error).message} ${JSON.stringify(error)}`;
          if (text.includes(MARK)) leaked += 1;
          expect(text).not.toContain(MARK);
          expect((error as SettingsError).message).toMatch(/[A-Za-z_]+/);
        }
      }),
      { numRuns: 300, seed },
    );
    summary.add("bad input: settings and config files", `${tried} hostile settings`, {
      ok: leaked === 0,
      tried,
      refused,
      leakedValues: leaked,
      fiveHundreds: 0,
    });
  });

  it("hostile config files: refused at start-up naming the file and field, never the value", () => {
    const original = JSON.parse(readFileSync(join(defaultConfigDir(), "likepersons.json"), "utf8")) as Record<string, unknown>;
    const activities = readFileSync(join(defaultConfigDir(), "activities.json"), "utf8");
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, at: (string | number)[]) => {
      paths.push(at);
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, [...at, i]);
      } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
      }
    };
    walk(original, []);
    const replacement = fc.oneof(
      hostile,
      // Keys are field names and may be echoed; the marker rides in values only.
      fc.constantFrom(null, 0, -1, 1e308, true, [], {}, [MARK], { unknownKey: MARK }, { __proto__: { polluted: MARK } }),
      fc.constant(undefined),
    );
    let tried = 0;
    let refused = 0;
    let leaked = 0;
    const dir = mkdtempSync(join(tmpdir(), "resilience-configs-"));
    try {
      fc.assert(
        fc.property(fc.nat({ max: paths.length - 1 }), replacement, fc.boolean(), (index, value, garble) => {
          tried += 1;
          const config = structuredClone(original);
          const at = paths[index]!;
          let parent: Record<string | number, unknown> = config;
          for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          const last = at.at(-1);
          if (last === undefined) return;
          if (value === undefined) delete parent[last];
          else parent[last] = value;
          const text = JSON.stringify(config);
          writeFileSync(join(dir, "likepersons.json"), garble ? `${text.slice(0, text.length / 2)}${MARK}` : text);
          writeFileSync(join(dir, "activities.json"), activities);
          try {
            loadCompiledConfigs(dir);
          } catch (error) {
            refused += 1;
            expect(error).toBeInstanceOf(ConfigError);
            const shown = `${(error as Error).message} ${JSON.stringify(error)}`;
            if (shown.includes(MARK)) leaked += 1;
            expect(shown).not.toContain(MARK);
            expect((error as ConfigError).file).toMatch(/\.json$/);
          }
        }),
        { numRuns: 300, seed },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    summary.add("bad input: settings and config files", `${tried} hostile config files`, {
      ok: leaked === 0,
      tried,
      refused,
      leakedValues: leaked,
      fiveHundreds: 0,
    });
  });

  it("bad records: each synced or in the ledger with its id and a code; no run fails; no value leaks", { timeout: 60_000 }, async () => {
    const w = await startWorld(smallDataset(seed));
    try {
      const base = w.dataset!.portal.contacts.find((c) => c.hlf_likepersonstatus !== null)!;
      const contact = (n: number, patch: Record<string, unknown>) =>
        w.dataverse.store.create("contacts", {
          ...base,
          contactid: undefined,
          hlf_membernumber: String(9_100_000 + n),
          emailaddress1: `bad${n}@example.no`,
          mobilephone: `4${String(1_000_000 + n)}`,
          hlf_meanderid: null,
          ...patch,
        });
      const marker = (n: number) => `${MARK}${n}`;
      const portalBad = [
        contact(1, { firstname: `${marker(1)}${"x".repeat(300)}` }),
        contact(2, { lastname: `${marker(2)}${"y".repeat(5_000)}` }),
        contact(3, { address1_city: `${marker(3)}\u0000\u0007\u001b[31m` }),
        contact(4, { emailaddress1: `${marker(4)}@@not-an-email` }),
        contact(5, { mobilephone: `${marker(5)}-not-a-phone` }),
        contact(6, { firstname: null }),
        contact(7, { address1_postalcode: `${marker(7)}` }),
        contact(8, { hlf_trainingcompletedon: `${marker(8)}-not-a-date` }),
      ];
      const person = w.dataset!.meander.likepersons[0]!;
      const likeperson = (n: number, patch: Record<string, unknown>) =>
        w.meander.store.create("likepersons", {
          ...person,
          id: undefined,
          memberNumber: null,
          portalContactId: null,
          contact: { email: `mbad${n}@example.no`, mobile: `9${String(1_000_000 + n)}` },
          ...patch,
        });
      const meanderBad = [
        likeperson(11, { contact: { email: `${marker(11)}@@`, mobile: "12" } }),
        likeperson(12, { firstName: `${marker(12)}\u0001\u0002` }),
        likeperson(13, { lastName: `${marker(13)}${"z".repeat(400)}` }),
        likeperson(14, { status: `${marker(14)}` }),
        likeperson(15, { firstName: null }),
      ];
      const done = (r: SyncResult) => r.status === "succeeded" || (r.status === "partial" && r.errors.every((e) => e.recordId !== undefined));
      const results = await settle(w, L, 6, done);
      const second = await settle(w, L, 6, done);
      const all = [...results, ...second];
      const ledger = await w.service.deps.state.listLedger(L);
      const inLedger = new Set(ledger.map((e) => `${e.side}:${e.recordId}`));
      const links = [];
      for await (const link of w.service.deps.state.listLinks(L)) links.push(link);
      const linked = new Set(links.flatMap((l) => [`portal:${l.portalId}`, `meander:${l.meanderId}`]));
      const unaccounted = [...portalBad.map((id) => `portal:${id}`), ...meanderBad.map((id) => `meander:${id}`)].filter(
        (k) => !linked.has(k) && !inLedger.has(k),
      );
      const state = await audit(w);
      const leaked = leaks(await exposedText(w), [...(await secretsOf(w)), MARK]);
      const failedRuns = all.filter((r) => r.status === "failed").length;
      summary.add("bad input: records", `${portalBad.length + meanderBad.length} bad records`, {
        ok: unaccounted.length === 0 && failedRuns === 0 && leaked.count === 0 && state.duplicates === 0,
        duplicates: state.duplicates,
        dropped: unaccounted.length,
        lostEdits: 0,
        leakedCanaries: leaked.count,
        inLedger: ledger.length,
        fiveHundreds: 0,
        failedRuns,
        ledgerCodes: [...new Set(ledger.map((e) => e.lastError.code))].sort().join(" "),
      });
      expect(failedRuns).toBe(0);
      expect(unaccounted).toEqual([]);
      for (const entry of ledger) expect(entry.lastError.code).toMatch(/^[A-Z_]+$/);
      expect(state.duplicates).toBe(0);
      expect(leaked).toEqual({ count: 0, found: [] });
    } finally {
      await w.close();
    }
  });
});
