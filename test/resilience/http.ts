/**
 * A world's service behind the app's own functions, served over real HTTP by the local
 * functions server (as `npm start` does). Every answer body and every function log line
 * is kept for the leak scan.
 */
import { functionDefinitions } from "../../functions/definitions.js";
import { type LocalFunctionsServer, serveFunctions } from "../../scripts/serve.js";
import type { World } from "./world.js";

export interface Served {
  readonly server: LocalFunctionsServer;
  /** One request; the body is read as text and kept. */
  call(
    method: string,
    path: string,
    init?: { body?: string | Uint8Array; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string; ms: number }>;
}

export async function serve(w: World): Promise<Served> {
  const server = await serveFunctions({
    definitions: functionDefinitions(async () => w.service),
    port: 0,
    log: (_level, _fn, line) => w.logs.push(line),
  });
  return {
    server,
    async call(method, path, init = {}) {
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`, { method, ...(init.body !== undefined ? { body: init.body } : {}), headers: init.headers ?? {} });
      const text = await response.text();
      w.exposed.push(text);
      return { status: response.status, text, ms: performance.now() - started };
    },
  };
}
