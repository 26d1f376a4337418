/** The SyncService the triggers call: runs, history, conflicts and configs over the engine's ports. */
import type { Scalar } from "../core/types.js";
import { ConflictStateError, NotFoundError, UnknownConfigError, ValidationError } from "../errors.js";
import type { ConflictRecord, ConflictStatus } from "../ports.js";
import type { ConfigSummary, ResolutionInput, RunOptions, SyncService } from "../service.js";
import type { EngineDeps } from "./deps.js";
import { runSync } from "./engine.js";

export function createSyncService(deps: EngineDeps): SyncService {
  const known = (configId: string) => {
    if (!deps.configs.has(configId)) throw new UnknownConfigError(configId);
  };
  const summaries: ConfigSummary[] = [...deps.configs.values()].map(({ config }) => ({
    id: config.id,
    enabled: config.enabled,
    ...(config.description ? { description: config.description } : {}),
    direction: config.direction,
    meanderEntity: config.meander.entity,
    portalEntity: config.portal.entity,
    fields: config.fields.map((f) => ({
      meander: f.meander,
      portal: f.portal,
      direction: f.direction ?? config.direction,
      owner: f.owner ?? config.conflictPolicy,
    })),
    matchKeys: config.matchKeys.map((k) => ({ meander: k.meander, portal: k.portal })),
  }));

  return {
    runSync: (configId: string, options: RunOptions) => runSync(deps, configId, options),

    async getSyncHistory(configId, limit) {
      known(configId);
      return deps.runs.listRuns(configId, limit);
    },

    async getRun(configId, runId) {
      known(configId);
      return deps.runs.getRun(configId, runId);
    },

    async listConflicts(configId, status?: ConflictStatus) {
      known(configId);
      return deps.state.listConflicts(configId, status);
    },

    async resolveConflict(configId, conflictId, input) {
      known(configId);
      const conflict = await deps.state.getConflict(configId, conflictId);
      if (!conflict) throw new NotFoundError("conflict");
      if (conflict.status !== "open") throw new ConflictStateError("the conflict is already resolved");
      const values = checkResolution(conflict, input);
      const resolved: ConflictRecord = {
        ...conflict,
        status: "resolved",
        resolution: {
          choice: input.choice,
          values,
          resolvedAt: deps.clock.now().toISOString(),
          ...(input.resolvedBy ? { resolvedBy: input.resolvedBy } : {}),
        },
      };
      await deps.state.putConflicts(configId, [resolved]);
      deps.logger.info("conflict resolved; the next run applies it", { configId, conflictId, choice: input.choice });
      return resolved;
    },

    listConfigs: () => summaries,
    enabledConfigIds: () => runOrder(deps).filter((id) => deps.configs.get(id)?.config.enabled),
  };
}

/** A decision must fit its conflict: one value per conflicting field, or a candidate for an ambiguous match. */
function checkResolution(conflict: ConflictRecord, input: ResolutionInput): Record<string, Scalar> {
  const given = input.values ?? {};
  if (conflict.kind === "ambiguous") {
    if (input.choice !== "value") throw new ValidationError("choice", 'an ambiguous match is resolved with choice "value" and values.partner');
    const partner = given.partner;
    if (partner !== null && !(typeof partner === "string" && conflict.candidates?.includes(partner))) {
      throw new ValidationError("values.partner", "must be one of the conflict's candidates, or null to create a new record");
    }
    return { partner };
  }
  if (input.choice !== "value") {
    if (input.values && Object.keys(input.values).length > 0) throw new ValidationError("values", `only allowed with choice "value"`);
    return {};
  }
  const fields = new Set(conflict.fields.map((f) => f.field));
  for (const key of Object.keys(given)) if (!fields.has(key)) throw new ValidationError(`values.${key}`, "is not a field of this conflict");
  for (const field of fields) if (!(field in given)) throw new ValidationError(`values.${field}`, "is required");
  return { ...given };
}

/** Configs in an order where each runs after the configs its lookups read links from (activities after likepersons). */
function runOrder(deps: EngineDeps): string[] {
  const order: string[] = [];
  const visit = (id: string, path: Set<string>) => {
    if (order.includes(id) || path.has(id)) return;
    path.add(id);
    for (const field of deps.configs.get(id)?.config.fields ?? []) if (field.lookup) visit(field.lookup.config, path);
    order.push(id);
  };
  for (const id of deps.configs.keys()) visit(id, new Set());
  return order;
}
