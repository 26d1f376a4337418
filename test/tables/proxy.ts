/**
 * A pass-through HTTP proxy in front of Azurite that holds chosen requests back
 * until the test lets them go, so races (several runs reading the same expired
 * lease before any of them writes) happen every time instead of by luck.
 */
import { createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxyHooks {
  /** Resolves when the request may go on to Azurite. */
  before?(req: IncomingMessage): Promise<void>;
  /** Azurite has answered the request. */
  after?(req: IncomingMessage): void;
  /** Answer instead of Azurite: a status and headers, or "drop" to cut the connection. */
  fake?(req: IncomingMessage): { status: number; headers?: Record<string, string>; body?: string } | "drop" | undefined;
}

export async function holdingProxy(connectionString: string, hooks: ProxyHooks) {
  const target = new URL(/TableEndpoint=([^;]+)/.exec(connectionString)?.[1] ?? "");
  const server = createServer(async (req, res) => {
    await hooks.before?.(req);
    const fake = hooks.fake?.(req);
    if (fake === "drop") {
      req.socket.destroy();
      return;
    }
    if (fake) {
      req.resume();
      res.writeHead(fake.status, { "content-type": "application/json", ...fake.headers });
      res.end(fake.body ?? "");
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (response) => {
      hooks.after?.(req);
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    connectionString: connectionString.replace(/TableEndpoint=http:\/\/[^/]+/, `TableEndpoint=http://127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A gate that opens once `count` arrivals were seen (or after `timeoutMs`, so a broken test fails instead of hanging). */
export function barrier(count: number, timeoutMs = 5_000) {
  let seen = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const timer = setTimeout(open, timeoutMs);
  return {
    arrive() {
      if (++seen >= count) {
        clearTimeout(timer);
        open();
      }
    },
    opened,
  };
}
