/**
 * Tried as a new user would: a second Dataverse (the simulator on its own TLS certificate,
 * trusted only through the NODE_EXTRA_CA_CERTS the caller sets, its tenant issuing tokens
 * for itself only), DATAVERSE_* pointing at it, Meander left on its stand-in. The built
 * `npm run sync -- likepersons` and `npm run check` run as child processes, as a user runs them.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRoot } from "../../shared/config/settings.js";
import { type DataverseSim, startDataverseSim } from "../../sim/dataverse/index.js";
import { ensureLocalCertificate } from "../../sim/tls.js";

const run = promisify(execFile);
const root = appRoot();
/** Where `npm run build` puts the commands. */
const dist = join(root, "dist");
const SANDBOX_CLIENT = { clientId: "5a4d0b7e-1111-4222-8333-444455556666", clientSecret: "sandbox-secret-~.value" };

describe("bring your own Dataverse", () => {
  let sandbox: DataverseSim;
  let certDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // The commands as `npm run sync` / `npm run check` build them.
    await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")], { cwd: root });
    certDir = mkdtempSync(join(tmpdir(), "sandbox-tls-"));
    const tls = ensureLocalCertificate(certDir, "sandbox.dataverse.test");
    sandbox = await startDataverseSim({
      tls: { key: tls.key, cert: tls.cert },
      tenantId: "00000000-0000-0000-0000-0000000000bb",
      clients: [SANDBOX_CLIENT],
      ownResourcesOnly: true,
    });
    const { NODE_EXTRA_CA_CERTS: _inherited, ...parent } = process.env;
    env = {
      ...parent,
      NODE_EXTRA_CA_CERTS: tls.certPath,
      DATAVERSE_URL: sandbox.url,
      DATAVERSE_TENANT_ID: sandbox.tenantId,
      DATAVERSE_CLIENT_ID: SANDBOX_CLIENT.clientId,
      DATAVERSE_CLIENT_SECRET: SANDBOX_CLIENT.clientSecret,
      DATAVERSE_AUTHORITY_HOST: sandbox.authorityHost,
      AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
      SYNC_TABLE_PREFIX: `b${randomBytes(5).toString("hex")}`,
    };
  }, 180_000);

  afterAll(async () => {
    await sandbox?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it("npm run sync -- likepersons succeeds against it, with Meander's token from the stand-in", async () => {
    const { stdout } = await run(process.execPath, [join(dist, "scripts", "sync.js"), "likepersons"], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 });
    const result = JSON.parse(stdout) as {
      status: string;
      counts: { meander: { read: number }; portal: { created: number } };
      conflicts: { openByKind?: Record<string, number> };
    };
    expect(["succeeded", "partial"]).toContain(result.status);
    // An empty member register: every Meander likeperson read is parked for a person, none is created there.
    expect(result.counts.meander.read).toBeGreaterThan(0);
    expect(result.counts.portal.created).toBe(0);
    expect(sandbox.store.list("contacts")).toHaveLength(0);
    expect(result.conflicts.openByKind?.unmatched ?? 0).toBeGreaterThan(0);
    // The sandbox's tenant issued tokens for the sandbox only (a Meander scope would have been refused).
    expect(sandbox.counters().tokensIssued).toBeGreaterThan(0);
  }, 180_000);

  it("npm run check exits 0 against it", async () => {
    const { stdout } = await run(process.execPath, [join(dist, "scripts", "check.js")], { cwd: root, env });
    expect(stdout).toContain("the configs match the Dataverse metadata");
    expect(stdout).toContain(sandbox.url);
  }, 120_000);

  it("npm run check exits 1 naming the column when the sandbox disagrees", async () => {
    sandbox.metadata.setKeyStatus("contacts", "Failed");
    try {
      const failed = await run(process.execPath, [join(dist, "scripts", "check.js"), "likepersons"], { cwd: root, env }).then(
        () => undefined,
        (error: { code?: number; stdout?: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toContain("contacts.hlf_meanderid");
      expect(failed?.stdout).toContain("Failed");
    } finally {
      sandbox.metadata.setKeyStatus("contacts", "Active");
    }
  }, 120_000);
});
