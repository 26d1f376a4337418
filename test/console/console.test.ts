/**
 * The review console in a real browser against the local stack `npm start` brings up: the
 * same handlers, Azurite, the Dataverse and Meander simulators. A person runs a sync from the
 * button and finds it in the history, decides a parked conflict from the queue, and sees the
 * next run apply it; axe-core finds nothing serious on any page. Screenshots of every page
 * go to docs/console with `npm run screenshots`.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningStack, startLocal } from "../../scripts/start.js";
import { appRoot } from "../../shared/config/settings.js";
import type { SyncRun } from "../../shared/core/types.js";
import type { ConflictRecord } from "../../shared/ports.js";
import { axeViolations, launchBrowser, screenshotDir, serious } from "./browser.js";

const dataset = { seed: 15, people: 40, overlap: 0.7, conflictingShare: 0.2, ambiguousShare: 0.08, activitiesPerPerson: 1 };

let running: RunningStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const shots = screenshotDir();

beforeAll(async () => {
  // `npm run build` does the same (build:console); a fresh clone has no dist/ yet.
  const { build } = await import("vite");
  await build({ configFile: join(appRoot(), "console", "vite.config.ts"), logLevel: "error" });
  running = await startLocal({
    port: 0,
    persist: false,
    dataset,
    settings: { AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING, SYNC_TABLE_PREFIX: `c${randomBytes(5).toString("hex")}` },
    log: () => undefined,
  });
  // A field conflict for the queue: a linked pair whose chapter (owner "manual") now differs on both sides.
  const { meander, dataverse } = running.stack.standIns;
  const linked = meander.store
    .list("likepersons")
    .find((r) => typeof r.data.portalContactId === "string" && dataverse.store.get("contacts", r.data.portalContactId));
  meander.store.edit("likepersons", linked!.id, { chapter: "HLF Bergen" });
  dataverse.store.edit("contacts", linked!.data.portalContactId as string, { hlf_localchapter: "HLF Tromsø" });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "nb-NO", timezoneId: "Europe/Oslo" });
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

const consoleUrl = () => `${running.server.url}/api/console`;
const apiGet = async <T>(path: string): Promise<T> => (await (await fetch(`${running.server.url}/api/${path}`)).json()) as T;

/** axe-core on the page as shown, then a full-page screenshot. */
async function check(name: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(serious(violations), `${name}: ${JSON.stringify(violations)}`).toEqual([]);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  expect(statSync(join(shots, `${name}.png`)).size).toBeGreaterThan(10_000);
}

const heading = (name: string | RegExp) => page.getByRole("heading", { level: 1, name });

describe("the review console", () => {
  test("overview: a run from the button appears in the history, a dry run shows its plan", async () => {
    const response = await page.goto(consoleUrl());
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await heading("Oversikt").waitFor();
    const card = page.getByRole("region", { name: "likepersons" });
    await card.getByText("Siste kjøring").waitFor();
    await expect.poll(() => card.getByRole("link", { name: /åpne saker/ }).textContent()).toMatch(/^[1-9]\d* (åpen sak|åpne saker)$/);

    // Keyboard only: focus the button, press Enter.
    await card.getByRole("button", { name: "Kjør nå" }).focus();
    await page.keyboard.press("Enter");
    await card.getByText("Kjøringen er ferdig").waitFor({ timeout: 60_000 });
    const [newest] = (await apiGet<{ runs: SyncRun[] }>("sync/likepersons/runs?limit=1")).runs;
    expect(newest?.trigger).toBe("manual");

    await card.getByRole("button", { name: "Prøvekjøring" }).click();
    await card.getByRole("heading", { name: "Plan" }).waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getByText("Prøvekjøringen er ferdig").count()).toBe(1);
    await check("overview");

    // The history shows the run the button started, in the table and the chart.
    await card.getByRole("link", { name: "Alle kjøringer for likepersons" }).click();
    await heading("Kjøringer: likepersons").waitFor();
    const rows = page.getByRole("table", { name: /De siste \d+ kjøringene/ }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(3); // header, the start's run, the button's run
    await expect.poll(() => rows.nth(1).textContent()).toContain("Manuell");
    await page.getByRole("img", { name: "Varighet og skrevne poster per kjøring" }).waitFor();
    await check("runs");

    await rows.nth(1).getByRole("link").click();
    await heading(`Kjøring ${newest!.runId}`).waitFor();
    await page.getByRole("table", { name: "Poster per system" }).waitFor();
    await check("run");
  });

  test("review queue: a decision made in the browser is applied by the next run", async () => {
    const open = (await apiGet<{ conflicts: ConflictRecord[] }>("sync/likepersons/conflicts")).conflicts;
    const fieldConflict = open.find((c) => (c.kind === "field" || c.kind === "fieldConflict") && c.fields.length > 0);
    expect(fieldConflict, "the seeded data parks at least one field conflict").toBeDefined();
    expect(open.some((c) => c.kind === "ambiguous" || c.kind === "confirmMatch")).toBe(true);

    await page.getByRole("navigation", { name: "Hovedmeny" }).getByRole("link", { name: "Til gjennomgang" }).click();
    await heading("Til gjennomgang: likepersons").waitFor();
    const item = page.getByRole("article").filter({ hasText: fieldConflict!.conflictId });
    await item.getByRole("table", { name: "Verdiene på hver side" }).waitFor();
    // Ambiguous matches show their candidates as cards with a button each.
    await expect.poll(() => page.getByRole("button", { name: /^Koble til kandidat \d+$/ }).count()).toBeGreaterThan(1);
    await check("review");

    // Take the portal's values, by keyboard.
    await item.getByRole("button", { name: "Bruk Min Sides verdier" }).focus();
    await page.keyboard.press("Space");
    const confirmation = page.getByText(`Avgjørelsen for Feltkonflikt ${fieldConflict!.conflictId} er lagret`);
    await confirmation.waitFor();
    await expect.poll(() => page.evaluate<string>("document.activeElement?.textContent ?? ''")).toContain("er lagret");
    await expect.poll(() => page.getByRole("article").filter({ hasText: fieldConflict!.conflictId }).count()).toBe(0);

    // The next run, from the overview's button, writes the decision to both sides.
    await page.getByRole("navigation", { name: "Hovedmeny" }).getByRole("link", { name: "Oversikt" }).click();
    const card = page.getByRole("region", { name: "likepersons" });
    await card.getByRole("button", { name: "Kjør nå" }).click();
    await card.getByText("Kjøringen er ferdig").waitFor({ timeout: 60_000 });

    await page.goto(`${consoleUrl()}#/review/likepersons/resolved`);
    await heading("Til gjennomgang: likepersons").waitFor();
    const resolved = page.getByRole("article").filter({ hasText: fieldConflict!.conflictId });
    await resolved.getByText("Min Sides verdier").waitFor();
    await resolved.getByText(/Skrevet til begge systemene/).waitFor();
    await check("review-resolved");

    // The service agrees: applied, and Meander now holds the portal's value.
    const after = (await apiGet<{ conflicts: ConflictRecord[] }>("sync/likepersons/conflicts?status=resolved")).conflicts.find(
      (c) => c.conflictId === fieldConflict!.conflictId,
    );
    expect(after?.resolution?.appliedAt).toBeDefined();
    const record = running.stack.standIns.meander.store.get("likepersons", fieldConflict!.meanderId!);
    for (const f of fieldConflict!.fields) {
      const value = f.field.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], record?.data);
      expect(value ?? null).toEqual(f.portal);
    }
  });

  test("review queue: an oscillation shows both sides' values and the decisions it takes", async () => {
    // A Dataverse plug-in that keeps one contact's likeperson status active, whatever Meander says.
    const { meander, dataverse } = running.stack.standIns;
    const linked = meander.store
      .list("likepersons")
      .find((r) => r.data.status === "active" && typeof r.data.portalContactId === "string" && dataverse.store.get("contacts", r.data.portalContactId));
    const contactId = linked!.data.portalContactId as string;
    dataverse.plugins.add({ entitySet: "contacts", column: "hlf_likepersonstatus", rewrite: (v, row) => (row.contactid === contactId ? 100000000 : v) });
    meander.store.edit("likepersons", linked!.id, { status: "paused" });
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${running.server.url}/api/sync/likepersons/runs`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      expect(response.status).toBe(200);
    }
    const open = (await apiGet<{ conflicts: ConflictRecord[] }>("sync/likepersons/conflicts")).conflicts;
    const oscillation = open.find((c) => c.kind === "oscillation" && c.meanderId === linked!.id);
    expect(oscillation?.fields).toEqual([{ field: "status", meander: "paused", portal: "active" }]);

    await page.goto(`${consoleUrl()}#/review/likepersons`);
    await heading("Til gjennomgang: likepersons").waitFor();
    const item = page.getByRole("article").filter({ hasText: oscillation!.conflictId });
    await item.getByRole("heading", { name: /Vekslende verdi/ }).waitFor();
    const row = item.getByRole("table", { name: "Verdiene på hver side" }).getByRole("row", { name: /status/ });
    await expect.poll(() => row.textContent()).toMatch(/paused.*active/);
    for (const name of ["Bruk Meanders verdier", "Bruk Min Sides verdier", "Angi verdier selv"]) await item.getByRole("button", { name }).waitFor();
    await check("review-oscillation");
    dataverse.plugins.clear();
  });

  test("retry ledger, configs; nothing kept in the browser's storage", async () => {
    // The menu keeps the config in view; the picker changes it.
    await page.getByRole("navigation", { name: "Hovedmeny" }).getByRole("link", { name: "Feilkø" }).click();
    await heading("Feilkø: likepersons").waitFor();
    await page.getByRole("navigation", { name: "Velg konfigurasjon" }).getByRole("link", { name: "activities" }).click();
    await heading("Feilkø: activities").waitFor();
    const ledger = (await apiGet<{ entries: { recordId: string; lastError: { code: string } }[] }>("sync/activities/ledger")).entries;
    // The seeded activities include reports whose likeperson has no partner yet: they wait in the ledger.
    expect(ledger.length).toBeGreaterThan(0);
    const table = page.getByRole("table", { name: new RegExp(`^${ledger.length} poste?r? venter`) });
    await table.getByRole("cell", { name: ledger[0]!.recordId, exact: true }).waitFor();
    await table.getByText(ledger[0]!.lastError.code).first().waitFor();
    await check("ledger");

    await page.getByRole("navigation", { name: "Hovedmeny" }).getByRole("link", { name: "Oppsett" }).click();
    await heading("Oppsett").waitFor();
    await page.getByRole("table", { name: "Felt i likepersons" }).getByText("hlf_localchapter").waitFor();
    await check("configs");

    const stored = await page.evaluate(
      "(async () => ({ local: localStorage.length, session: sessionStorage.length, databases: (await indexedDB.databases()).length, caches: (await caches.keys()).length }))()",
    );
    expect(stored).toEqual({ local: 0, session: 0, databases: 0, caches: 0 });
    const cookies = await context.cookies();
    expect(cookies).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
