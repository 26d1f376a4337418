/**
 * The node flags Azure starts the Functions worker with: the `languageWorkers__node__arguments`
 * app setting in infra/modules/functionapp.bicep. Each measured run is started with the same,
 * so that its memory is what a run on Azure would use.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appRoot } from "../shared/config/settings.js";

const WORKER_FLAGS_FILE = join("infra", "modules", "functionapp.bicep");

export function workerNodeFlags(root: string = appRoot()): string[] {
  const bicep = readFileSync(join(root, WORKER_FLAGS_FILE), "utf8");
  const setting = /^\s*languageWorkers__node__arguments:\s*'([^']*)'\s*$/m.exec(bicep);
  if (!setting) throw new Error(`${WORKER_FLAGS_FILE}: no languageWorkers__node__arguments app setting`);
  return setting[1]!.split(" ").filter(Boolean);
}
