/**
 * The degree of parallelism Dataverse recommends for an environment, as its Web API
 * responses last stated it in `x-ms-dop-hint`. The value follows the resources the
 * environment has at the moment, so it is read from every response, not once:
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/send-parallel-requests
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits
 *
 * dynamics-web-api 2.5.0 hands callers only the body of a successful response, and
 * builds its own https.Agent (no option to pass one), so the header is observed on
 * Node's `http.client.response.finish` diagnostics channel, which publishes every
 * client response's headers before the library sees them. No request is added.
 * https://nodejs.org/api/diagnostics_channel.html#built-in-channels
 */
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";

/** Dataverse's concurrent-request limit per user: no hint can ask for more. */
const MAX_HINT = 52;

/** Last hint seen per `host[:port]` of an environment. */
const hints = new Map<string, number>();
let watching = false;

function observe(message: unknown): void {
  const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
  const raw = response?.headers["x-ms-dop-hint"];
  if (raw === undefined || !request) return;
  const host = request.getHeader("host");
  if (typeof host !== "string" || !hints.has(host.toLowerCase())) return;
  const hint = Number.parseInt(Array.isArray(raw) ? (raw[0] ?? "") : raw, 10);
  if (Number.isInteger(hint) && hint >= 1) hints.set(host.toLowerCase(), Math.min(hint, MAX_HINT));
}

/**
 * Starts following the hint of the environment at `url`; returns a reader of the
 * last hint (undefined until a response carried one). Behind a proxy the library
 * rewrites the Host header to the proxy's, the hint is not seen, and the setting alone caps.
 */
export function watchDopHint(url: string): () => number | undefined {
  const host = new URL(url).host.toLowerCase();
  // A new client starts from the setting: a hint kept from an earlier server on this address says nothing.
  hints.set(host, Number.NaN);
  if (!watching) {
    subscribe("http.client.response.finish", observe);
    watching = true;
  }
  return () => {
    const hint = hints.get(host);
    return hint !== undefined && !Number.isNaN(hint) ? hint : undefined;
  };
}
