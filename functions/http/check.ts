/**
 * `GET /api/sync/{configId}/check`: the config checked against the Dataverse metadata, as
 * `npm run check` does. 200 with `ok` and the findings (table and column named); whether
 * the config matches is in `ok`, not the status, because a mismatch is an answer, not a failure.
 */

import { HttpError } from "./errors.js";
import { parse } from "./request.js";
import { json } from "./respond.js";
import type { Action } from "./route.js";
import { configParams } from "./schemas.js";

export const checkAction: Action = async (request, { service, log }) => {
  const { configId } = parse(configParams, request.params);
  const svc = await service();
  if (!svc.checkSchema) throw new HttpError(404, "NOT_FOUND", "this service has no portal metadata to check against");
  const findings = await svc.checkSchema(configId);
  const errors = findings.filter((f) => f.level === "error").length;
  log.schemaErrors = errors;
  return json(200, { configId, ok: errors === 0, findings });
};
