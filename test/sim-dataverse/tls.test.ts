import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureLocalCertificate } from "../../sim/tls.js";

describe("ensureLocalCertificate", () => {
  const dir = mkdtempSync(join(tmpdir(), "tls-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("makes a certificate for 127.0.0.1 and localhost and reuses it", () => {
    const first = ensureLocalCertificate(dir);
    const x509 = new X509Certificate(first.cert);
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.checkHost("localhost")).toBe("localhost");
    expect(readFileSync(first.certPath, "utf8")).toBe(first.cert);
    const second = ensureLocalCertificate(dir);
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
  });

  it("is trusted by fetch in test workers through the global setup", async () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBeTruthy();
    const shared = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
    const server = createServer({ key: shared.key, cert: shared.cert }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      for (const host of ["127.0.0.1", "localhost"]) {
        const response = await fetch(`https://${host}:${port}/`);
        expect(await response.text()).toBe("ok");
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
