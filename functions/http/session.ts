/**
 * Who may use the routes the review console calls from a browser. Those routes are
 * anonymous to the Functions host (a browser must not hold a function key: shared
 * secrets do not belong in a public client, https://learn.microsoft.com/azure/azure-functions/function-keys-how-to),
 * so the signed-in admin is the only gate there:
 *
 * - App Service authentication on: the admin role, as on every admin route (principal.ts);
 * - off, but hosted in App Service: refused, since nobody would be signed in;
 * - off and not hosted (the local stack, `func start`): open, as the key routes are locally.
 *
 * A state-changing request must also carry `X-Sync-Console: 1`. A cross-site form cannot
 * send a custom header, and a cross-site script cannot either without a CORS preflight
 * that the app never grants, so the session cookie alone never starts a run or decides
 * a conflict.
 */
import type { HttpRequest } from "@azure/functions";
import type { AuthSettings } from "../../shared/config/settings.js";
import { HttpError } from "./errors.js";
import { authorize, type Caller } from "./principal.js";

export const CONSOLE_HEADER = "x-sync-console";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** App Service sets these on every app it hosts; the local stack has neither. */
export const hostedInAppService = (env: Readonly<Record<string, string | undefined>>): boolean =>
  Boolean(env.WEBSITE_INSTANCE_ID?.trim() || env.WEBSITE_SITE_NAME?.trim());

export function authorizeSession(request: HttpRequest, auth: AuthSettings, hosted: boolean): Caller {
  if (!auth.enabled && hosted) {
    throw new HttpError(403, "AUTH_REQUIRED", "the console needs App Service authentication on this app (see the README's console section)");
  }
  const caller = authorize(request, auth);
  if (!SAFE_METHODS.has(request.method.toUpperCase()) && request.headers.get(CONSOLE_HEADER) !== "1") {
    throw new HttpError(403, "CONSOLE_HEADER_REQUIRED", `a console request that changes data must carry ${CONSOLE_HEADER}: 1`, CONSOLE_HEADER);
  }
  return caller;
}
