/**
 * A self-signed TLS certificate for the local simulators (127.0.0.1 and localhost).
 * The real clients (dynamics-web-api, msal-node, the Azure SDK) speak HTTPS only, so
 * the simulators do too; Node trusts the certificate through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

/** Regenerate when fewer days than this are left, so a long test run never meets an expired cert. */
const RENEW_BEFORE_MS = 14 * 24 * 3600_000;
const VALID_DAYS = 365;

interface Bundle {
  key: string;
  cert: string;
}

function usable(bundle: Bundle): boolean {
  try {
    const x509 = new X509Certificate(bundle.cert);
    const notAfter = Date.parse(x509.validTo);
    if (!(notAfter - Date.now() > RENEW_BEFORE_MS)) return false;
    if (!x509.checkHost("localhost") || !x509.checkIP("127.0.0.1")) return false;
    return x509.checkPrivateKey(createPrivateKey(bundle.key));
  } catch {
    return false;
  }
}

/**
 * selfsigned 5 only generates asynchronously (WebCrypto); callers such as vitest's
 * global setup and the stack launcher want the certificate synchronously, and it is
 * made once and cached, so a short child process is the simplest bridge.
 */
/**
 * An app's own certificate for client assertions: Entra ID takes RSA keys only (assertions
 * are PS256 or RS256), so unlike the TLS certificate it is RSA.
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 */
export function clientCertificate(commonName: string): Bundle {
  return generate(commonName, "rsa");
}

function generate(commonName: string, keyType: "ec" | "rsa" = "ec"): Bundle {
  const moduleUrl = pathToFileURL(require.resolve("selfsigned")).href;
  const script = `
    const mod = await import(${JSON.stringify(moduleUrl)});
    const generate = mod.generate ?? mod.default.generate;
    const notBeforeDate = new Date(Date.now() - 60_000);
    const notAfterDate = new Date(Date.now() + ${VALID_DAYS} * 24 * 3600_000);
    const pems = await generate([{ name: "commonName", value: ${JSON.stringify(commonName)} }], {
      ...${JSON.stringify(keyType === "ec" ? { keyType: "ec", curve: "P-256" } : { keyType: "rsa", keySize: 2048 })},
      algorithm: "sha256", notBeforeDate, notAfterDate,
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [
          { type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }, { type: 7, ip: "::1" } ] },
      ],
    });
    process.stdout.write(JSON.stringify({ key: pems.private, cert: pems.cert }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  return JSON.parse(out) as Bundle;
}

function writeAtomically(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}

/**
 * Returns the cached certificate in `dir`, making a new one when it is missing,
 * does not match its key, does not cover 127.0.0.1/localhost or is about to expire.
 * `certPath` is the PEM file to hand to NODE_EXTRA_CA_CERTS. `commonName` tells two such
 * certificates apart: TLS clients find a self-signed issuer by its subject, so two trusted
 * certificates both named "localhost" would shadow each other.
 */
export function ensureLocalCertificate(dir: string, commonName = "localhost"): { key: string; cert: string; certPath: string } {
  mkdirSync(dir, { recursive: true });
  // Key and certificate live in one file written atomically, so two processes
  // racing to create them can never pair one's key with the other's certificate.
  const bundlePath = join(dir, "localhost.json");
  const certPath = join(dir, "localhost-cert.pem");
  let bundle: Bundle | undefined;
  if (existsSync(bundlePath)) {
    try {
      bundle = JSON.parse(readFileSync(bundlePath, "utf8")) as Bundle;
    } catch {
      bundle = undefined;
    }
  }
  if (!bundle || !usable(bundle)) {
    bundle = generate(commonName);
    writeAtomically(bundlePath, JSON.stringify(bundle));
  }
  if (!existsSync(certPath) || readFileSync(certPath, "utf8") !== bundle.cert) writeAtomically(certPath, bundle.cert);
  return { key: bundle.key, cert: bundle.cert, certPath };
}

/**
 * One PEM file holding every certificate of `files` (in order), for NODE_EXTRA_CA_CERTS,
 * which takes a single file. Returns its path. A file that cannot be read is an error
 * naming the file: silently trusting less than the user asked for would fail later and darker.
 */
export function bundleCertificates(files: readonly string[], outPath: string): string {
  const parts = files.map((file) => {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      throw new Error(`NODE_EXTRA_CA_CERTS: cannot read the certificate file ${file}`);
    }
  });
  const bundle = `${parts.join("\n")}\n`;
  mkdirSync(dirname(outPath), { recursive: true });
  if (!existsSync(outPath) || readFileSync(outPath, "utf8") !== bundle) writeAtomically(outPath, bundle);
  return outPath;
}
