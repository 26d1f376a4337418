/**
 * A stand-in for Application Insights' ingestion endpoint (`POST /v2.1/track`, gzip'd JSON lines
 * of envelopes, over TLS with the local certificate) so the real Azure Monitor exporters can
 * send to it: the tests then see what the portal's tables get, `customDimensions` included.
 */
import { createServer } from "node:https";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { appRoot } from "../../shared/config/settings.js";
import { ensureLocalCertificate } from "../../sim/tls.js";

export interface Envelope {
  readonly name: string;
  readonly tags?: Record<string, string>;
  readonly data: { readonly baseType: string; readonly baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export async function startIngestion() {
  const tls = ensureLocalCertificate(join(appRoot(), ".local", "tls"));
  const envelopes: Envelope[] = [];
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers["content-encoding"] === "gzip" || raw[0] === 0x1f ? gunzipSync(raw) : raw;
      const text = body.toString("utf8").trim();
      const items = (text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((l) => JSON.parse(l))) as Envelope[];
      envelopes.push(...items);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    envelopes,
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
