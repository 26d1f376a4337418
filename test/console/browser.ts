/**
 * Headless Chromium from Debian's package (`apt-get install chromium`; .ci/run installs it),
 * driven by playwright-core, and axe-core run inside the page.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: number;
}

/**
 * WCAG 2.0/2.1 A and AA rules plus axe's best practices on the page as it is now. Evaluated
 * through the DevTools protocol, so the page's CSP (no inline script) stays in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // Runs in the page: its globals, typed here without the DOM library.
    const { axe, document } = globalThis as unknown as {
      axe: { run: (context: unknown, options: unknown) => Promise<{ violations: unknown[] }> };
      document: unknown;
    };
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return (result.violations as { id: string; impact: string | null; help: string; nodes: unknown[] }[]).map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
    }));
  });
}

export const serious = (violations: readonly AxeViolation[]) => violations.filter((v) => v.impact === "serious" || v.impact === "critical");

/** docs/console when CONSOLE_SCREENSHOTS names it (`npm run screenshots`), else a scratch folder: a test run leaves the repo as it was. */
export function screenshotDir(): string {
  const dir = process.env.CONSOLE_SCREENSHOTS ? resolve(process.env.CONSOLE_SCREENSHOTS) : join(tmpdir(), "sync-console-screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}
