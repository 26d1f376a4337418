/**
 * The console is a typed client of api/admin.openapi.yaml: a change to the document that a
 * page depends on fails the console's type check, which `npm run build` runs before bundling.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { afterAll, expect, test } from "vitest";
import { appRoot } from "../../shared/config/settings.js";

const root = appRoot();
// Inside the repo (under the ignored .local/), so the copy resolves the repo's node_modules.
const work = join(root, ".local", `console-typecheck-${process.pid}`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function typecheck(name: string, document: string): Promise<{ status: number | null; output: string }> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, "console", "src"), join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src", "schema.d.ts"), astToString(await openapiTS(document)));
  const config = JSON.parse(readFileSync(join(root, "console", "tsconfig.json"), "utf8")) as { include: string[] };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ ...config, include: ["src/**/*.ts", "src/**/*.tsx"] }));
  const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  return { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}` };
}

test("the console type-checks against the document, and stops doing so when a field it reads is renamed", async () => {
  const yaml = readFileSync(join(root, "api", "admin.openapi.yaml"), "utf8");
  const today = await typecheck("today", yaml);
  expect(today.output).toBe("");
  expect(today.status).toBe(0);

  expect(yaml).toContain("openReviewItems");
  const renamed = await typecheck("renamed", yaml.replaceAll("openReviewItems", "pendingItems"));
  expect(renamed.status).not.toBe(0);
  expect(renamed.output).toMatch(/Overview\.tsx.*openReviewItems/);
}, 120_000);
