/**
 * Azurite's Table service as a child process: in memory for tests, on disk under
 * `.local/azurite` for the local stack. Telemetry always off.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";

const require = createRequire(import.meta.url);

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export const azuriteConnectionString = (port: number) =>
  "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
  "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
  `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;

/** Starts azurite-table on a free port; resolves once it listens. */
export async function startAzurite(options: { location?: string } = {}): Promise<{ port: number; connectionString: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const bin = require.resolve("azurite/dist/src/table/main.js");
  const args = [bin, "--tableHost", "127.0.0.1", "--tablePort", String(port), "--disableTelemetry", "--skipApiVersionCheck", "--silent"];
  if (options.location) args.push("--location", options.location);
  else args.push("--inMemoryPersistence");
  const child: ChildProcess = spawn(process.execPath, [...(process.env.AZURITE_NODE_ARGS?.split(" ").filter(Boolean) ?? []), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`azurite-table did not start within 30 s: ${output.slice(-500)}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (listening|started)/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`azurite-table exited with code ${code}: ${output.slice(-500)}`)));
  });
  child.removeAllListeners("exit");
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    connectionString: azuriteConnectionString(port),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        // SIGINT lets Azurite flush its on-disk store; SIGTERM can lose the last seconds of writes.
        child.kill("SIGINT");
      }),
  };
}
