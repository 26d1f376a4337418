/**
 * Table Storage that can fail: an Azurite of its own (on disk, so a restart keeps the
 * data, as Azure Storage does) behind a small HTTP proxy with a fixed address. The proxy
 * lets the Azurite process be stopped and started again on another port without the
 * service noticing more than the outage, and can answer a conditional write with the
 * 412 a concurrent writer would cause.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { azuriteConnectionString, freePort } from "../../sim/azurite.js";

interface Azurite {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Azurite's Table service on disk, stopped with SIGINT: it then closes its database as a
 * stopped service would (sim/azurite.ts stops with SIGTERM, which ends the process before
 * its store is saved, losing up to five seconds of writes: a crash, not a restart).
 */
async function startAzurite(location: string): Promise<Azurite> {
  const port = await freePort();
  const bin = createRequire(import.meta.url).resolve("azurite/dist/src/table/main.js");
  const args = [bin, "--tableHost", "127.0.0.1", "--tablePort", String(port), "--disableTelemetry", "--skipApiVersionCheck", "--location", location];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`azurite-table did not start: ${output.slice(-300)}`)), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (listening|started)/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`azurite-table exited with ${code}: ${output.slice(-300)}`)));
  });
  child.removeAllListeners("exit");
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGINT");
      // It closes its servers and saves, then waits for nothing: make sure it goes.
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const CONDITION_FAILED = JSON.stringify({
  "odata.error": { code: "UpdateConditionNotSatisfied", message: { lang: "en-US", value: "The update condition specified in the request was not satisfied." } },
});

export class FlakyStorage {
  /** With it on, the first conditional write (If-Match with an ETag) to each row and operation gets a 412. */
  conflictOnce = false;
  conflictsServed = 0;
  restarts = 0;
  private readonly conflicted = new Set<string>();

  private constructor(
    private readonly server: Server,
    private readonly location: string,
    private azurite: Azurite | undefined,
  ) {}

  static async start(): Promise<FlakyStorage> {
    const location = mkdtempSync(join(tmpdir(), "resilience-azurite-"));
    const azurite = await startAzurite(location);
    const server = createServer();
    const storage = new FlakyStorage(server, location, azurite);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const ifMatch = req.headers["if-match"];
        const key = `${req.method} ${req.headers["x-http-method"] ?? ""} ${(req.url ?? "").split("?")[0]}`;
        if (storage.conflictOnce && typeof ifMatch === "string" && ifMatch !== "*" && !storage.conflicted.has(key)) {
          storage.conflicted.add(key);
          storage.conflictsServed += 1;
          res.writeHead(412, { "content-type": "application/json;odata=minimalmetadata", "x-ms-error-code": "UpdateConditionNotSatisfied" });
          res.end(CONDITION_FAILED);
          return;
        }
        const port = storage.azurite?.port;
        if (port === undefined) {
          req.socket.destroy();
          return;
        }
        const upstream = request({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on("error", () => req.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return storage;
  }

  get connectionString(): string {
    return azuriteConnectionString((this.server.address() as AddressInfo).port);
  }

  get running(): boolean {
    return this.azurite !== undefined;
  }

  /** Stops the Azurite process: every request meets a dead connection until `restart`. */
  async stop(): Promise<void> {
    const azurite = this.azurite;
    this.azurite = undefined;
    await azurite?.stop();
  }

  /** A new Azurite process on the same data. */
  async restart(): Promise<void> {
    if (this.azurite) return;
    this.azurite = await startAzurite(this.location);
    this.restarts += 1;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.stop();
    rmSync(this.location, { recursive: true, force: true });
  }
}
