/**
 * The shell around every HTTP action: authorise, pick the action by method (405 otherwise),
 * map any error in one place, and log one invocation-level line.
 */
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { type AuthSettings, loadAuthSettings } from "../../shared/config/settings.js";
import type { LogProperties } from "../../shared/ports.js";
import type { AdminService } from "../../shared/service.js";
import { errorResponse, HttpError } from "./errors.js";
import { logEvent } from "./log.js";
import { authorize, type Caller } from "./principal.js";
import { CONFIG_ID } from "./schemas.js";
import { authorizeSession, hostedInAppService } from "./session.js";

export interface HttpDeps {
  readonly getService: () => Promise<AdminService>;
  /** Defaults to WEBSITE_AUTH_ENABLED / SYNC_ADMIN_ROLE from the environment, read once. */
  readonly auth?: () => AuthSettings;
  /**
   * `key` (default): the host checks the function key, we check the admin role when
   * authentication is on. `session`: the console's browser routes (http/session.ts).
   */
  readonly access?: "key" | "session";
  /** Whether App Service hosts the app; defaults to its environment variables. */
  readonly hosted?: () => boolean;
}

export interface ActionContext {
  readonly context: InvocationContext;
  readonly caller: Caller;
  readonly service: () => Promise<AdminService>;
  /** Ids and statuses for the invocation's log line. */
  readonly log: Record<string, string | number | boolean | undefined>;
}

export type Action = (request: HttpRequest, ctx: ActionContext) => Promise<HttpResponseInit>;
export type Method = "GET" | "POST";

let envAuth: AuthSettings | undefined;
const authFromEnv = () => {
  envAuth ??= loadAuthSettings(process.env);
  return envAuth;
};

export function route(actions: Partial<Record<Method, Action>>, deps: HttpDeps): HttpHandler {
  const allow = Object.keys(actions).join(", ");
  return async (request, context) => {
    const started = Date.now();
    const log: ActionContext["log"] = {};
    let response: HttpResponseInit;
    try {
      const auth = (deps.auth ?? authFromEnv)();
      const caller =
        deps.access === "session" ? authorizeSession(request, auth, (deps.hosted ?? (() => hostedInAppService(process.env)))()) : authorize(request, auth);
      const action = actions[request.method.toUpperCase() as Method];
      if (!action) throw new HttpError(405, "METHOD_NOT_ALLOWED", `use ${allow}`, undefined, { Allow: allow });
      response = await action(request, { context, caller, service: deps.getService, log });
    } catch (error) {
      response = errorResponse(error, context);
    }
    const configId = request.params.configId;
    const properties: LogProperties = {
      function: context.functionName,
      method: request.method,
      status: response.status ?? 200,
      configId: configId && CONFIG_ID.test(configId) ? configId : undefined,
      durationMs: Date.now() - started,
      ...log,
    };
    logEvent(context, (response.status ?? 200) >= 500 ? "error" : "info", "sync.http", properties);
    return response;
  };
}
