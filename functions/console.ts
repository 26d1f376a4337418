/**
 * The review console (console/): its page and assets, and the admin API mounted a second
 * time for the console's browser session. Both are anonymous to the Functions host and
 * gated by the signed-in admin instead (http/session.ts); the `sync/...` routes keep
 * their function keys for server-to-server callers. The README's console section has the design.
 */
import { join } from "node:path";
import { appRoot } from "../shared/config/settings.js";
import { parse } from "./http/request.js";
import { type HttpDeps, route } from "./http/route.js";
import { consoleAssetParams } from "./http/schemas.js";
import { serveFile } from "./http/staticFiles.js";
import { createHttpFunctions, type HttpFunction } from "./syncHttp.js";

/** Where the browser finds the console, under the host's `api` route prefix. */
export const CONSOLE_ROUTE = "console";
/** The admin API for the console: the typed client's base URL is `/api/console/api`. */
export const CONSOLE_API_ROUTE = "console/api";

export interface ConsoleDeps extends Omit<HttpDeps, "access"> {
  /** The built console; default dist/console next to package.json. */
  readonly consoleDir?: string;
}

const ALL_METHODS: HttpFunction["options"]["methods"] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export function createConsoleFunctions(deps: ConsoleDeps): HttpFunction[] {
  const session: HttpDeps = { ...deps, access: "session" };
  const dir = deps.consoleDir ?? join(appRoot(), "dist", "console");
  const page = route({ GET: async () => serveFile(dir, "index.html", "no-cache") }, session);
  const asset = route(
    {
      GET: async (request) => {
        const { file } = parse(consoleAssetParams, request.params);
        return serveFile(join(dir, "assets"), file, "immutable");
      },
    },
    session,
  );
  return [
    { name: "consolePage", options: { route: CONSOLE_ROUTE, methods: ALL_METHODS, authLevel: "anonymous", handler: page } },
    { name: "consoleAsset", options: { route: `${CONSOLE_ROUTE}/assets/{file}`, methods: ALL_METHODS, authLevel: "anonymous", handler: asset } },
    ...createHttpFunctions(session, { routePrefix: CONSOLE_API_ROUTE, namePrefix: "console", authLevel: "anonymous" }),
  ];
}
