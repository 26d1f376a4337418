/**
 * Vitest global setup: makes (or reuses) the local TLS certificate of the simulators
 * and has every test worker trust it. Workers are forked after this runs, and Node
 * reads NODE_EXTRA_CA_CERTS only at start-up, so setting it here is enough.
 */
import { fileURLToPath } from "node:url";
import { ensureLocalCertificate } from "../../sim/tls.js";

export default function setup(): void {
  const dir = fileURLToPath(new URL("../../.local/tls", import.meta.url));
  const { certPath } = ensureLocalCertificate(dir);
  process.env.NODE_EXTRA_CA_CERTS = certPath;
}
