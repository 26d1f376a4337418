/**
 * A second Azurite for the managed-identity path: HTTPS with the simulators' local
 * certificate and `--oauth basic`, so the SDK sends bearer tokens and Azurite checks
 * their issuer, audience and lifetime (not the signature).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { freePort } from "../../sim/azurite.js";
import { ensureLocalCertificate } from "../../sim/tls.js";

const require = createRequire(import.meta.url);

export async function startOAuthAzurite(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const { key, cert } = ensureLocalCertificate(fileURLToPath(new URL("../../.local/tls", import.meta.url)));
  const dir = mkdtempSync(join(tmpdir(), "azurite-oauth-"));
  writeFileSync(join(dir, "key.pem"), key, { mode: 0o600 });
  writeFileSync(join(dir, "cert.pem"), cert);
  const port = await freePort();
  const args = [require.resolve("azurite/dist/src/table/main.js"), "--tableHost", "127.0.0.1", "--tablePort", String(port)];
  args.push("--disableTelemetry", "--skipApiVersionCheck", "--inMemoryPersistence", "--oauth", "basic");
  args.push("--cert", join(dir, "cert.pem"), "--key", join(dir, "key.pem"));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`azurite (oauth) did not start: ${output.slice(-300)}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (listening|started)/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`azurite (oauth) exited with ${code}: ${output.slice(-300)}`)));
  });
  child.removeAllListeners("exit");
  child.stderr?.resume();
  return {
    endpoint: `https://127.0.0.1:${port}/devstoreaccount1`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Stands in for a managed identity: an unsigned token with the claims Azurite checks; counts requests. */
export function fakeIdentity(audience = "https://storage.azure.com"): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return {
    scopes,
    async getToken(scope): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      const now = Math.floor(Date.now() / 1000);
      const claims = { aud: audience, iss: "https://sts.windows.net/00000000-0000-0000-0000-000000000001/", iat: now, nbf: now - 60, exp: now + 3600 };
      return { token: `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`, expiresOnTimestamp: (now + 3600) * 1000 };
    },
  };
}
