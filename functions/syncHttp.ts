/**
 * The admin API (README, "HTTP API"). Each action parses its input, calls the service and
 * maps the result; auth, 405, error mapping and logging live in http/route.ts.
 */
import type { HttpFunctionOptions } from "@azure/functions";
import { HttpError } from "./http/errors.js";
import { parse, queryObject, readJson } from "./http/request.js";
import { json } from "./http/respond.js";
import { type HttpDeps, route } from "./http/route.js";
import { configParams, conflictParams, conflictsQuery, historyQuery, resolutionBody, runBody, runParams } from "./http/schemas.js";

export interface HttpFunction {
  readonly name: string;
  readonly options: HttpFunctionOptions;
}

// Every method reaches the handler so that a wrong one is a JSON 405, not the host's bare 404.
const ALL_METHODS: HttpFunctionOptions["methods"] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Where a copy of the admin API is mounted: the key routes (default) or the console's (functions/console.ts). */
export interface ApiMount {
  /** Prefixes every route, e.g. `console/api`. */
  readonly routePrefix?: string;
  /** Prefixes every function name (names are unique in an app). */
  readonly namePrefix?: string;
  readonly authLevel?: "function" | "anonymous";
}

export function createHttpFunctions(deps: HttpDeps, mount: ApiMount = {}): HttpFunction[] {
  const fn = (name: string, routePath: string, handler: HttpFunctionOptions["handler"]): HttpFunction => ({
    name: mount.namePrefix ? `${mount.namePrefix}${name[0]!.toUpperCase()}${name.slice(1)}` : name,
    options: {
      route: mount.routePrefix ? `${mount.routePrefix}/${routePath}` : routePath,
      methods: ALL_METHODS,
      authLevel: mount.authLevel ?? "function",
      handler,
    },
  });
  return [
    fn("syncConfigs", "sync/configs", route({ GET: async (_request, { service }) => json(200, { configs: (await service()).listConfigs() }) }, deps)),
    fn(
      "syncRuns",
      "sync/{configId}/runs",
      route(
        {
          POST: async (request, { service, log }) => {
            const { configId } = parse(configParams, request.params);
            const body = await readJson(request, runBody);
            const result = await (await service()).runSync(configId, { trigger: "manual", dryRun: body?.dryRun === true });
            Object.assign(log, { runId: result.runId, runStatus: result.status, dryRun: result.dryRun });
            return json(200, result);
          },
          GET: async (request, { service }) => {
            const { configId } = parse(configParams, request.params);
            const { limit } = parse(historyQuery, queryObject(request));
            return json(200, { configId, runs: await (await service()).getSyncHistory(configId, limit) });
          },
        },
        deps,
      ),
    ),
    fn(
      "syncRun",
      "sync/{configId}/runs/{runId}",
      route(
        {
          GET: async (request, { service, log }) => {
            const { configId, runId } = parse(runParams, request.params);
            log.runId = runId;
            const run = await (await service()).getRun(configId, runId);
            if (!run) throw new HttpError(404, "NOT_FOUND", "run not found", "runId");
            return json(200, run);
          },
        },
        deps,
      ),
    ),
    fn(
      "syncConflicts",
      "sync/{configId}/conflicts",
      route(
        {
          GET: async (request, { service }) => {
            const { configId } = parse(configParams, request.params);
            const { status } = parse(conflictsQuery, queryObject(request));
            return json(200, { configId, status, conflicts: await (await service()).listConflicts(configId, status) });
          },
        },
        deps,
      ),
    ),
    fn(
      "syncConflictResolution",
      "sync/{configId}/conflicts/{conflictId}/resolution",
      route(
        {
          POST: async (request, { service, caller, log }) => {
            const { configId, conflictId } = parse(conflictParams, request.params);
            const body = await readJson(request, resolutionBody);
            log.conflictId = conflictId;
            const resolved = await (await service()).resolveConflict(configId, conflictId, { ...body, ...(caller.id ? { resolvedBy: caller.id } : {}) });
            return json(200, resolved);
          },
        },
        deps,
      ),
    ),
    fn(
      "syncOverview",
      "sync/{configId}/overview",
      route(
        {
          GET: async (request, { service }) => {
            const { configId } = parse(configParams, request.params);
            return json(200, await (await service()).getOverview(configId));
          },
        },
        deps,
      ),
    ),
    fn(
      "syncLedger",
      "sync/{configId}/ledger",
      route(
        {
          GET: async (request, { service }) => {
            const { configId } = parse(configParams, request.params);
            return json(200, { configId, entries: await (await service()).listLedger(configId) });
          },
        },
        deps,
      ),
    ),
  ];
}
