/** The SyncService the triggers call: runs, history, conflicts and configs over the engine's ports. */
import type { Scalar } from "../core/types.js";
import { ConflictStateError, NotFoundError, UnknownConfigError, ValidationError } from "../errors.js";
import { type ConflictRecord, type ConflictStatus, reviewKindOf } from "../ports.js";
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
      master: masterOf(f.direction ?? config.direction, f.owner ?? config.conflictPolicy),
    })),
    matchKeys: config.matchKeys.map((k) => ({ meander: k.meander, portal: k.portal, autoCouple: k.autoCouple ?? true })),
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
      return (await deps.state.listConflicts(configId, status)).map((c) => ({ ...c, kind: reviewKindOf(c) }));
    },

    async resolveConflict(configId, conflictId, input) {
      known(configId);
      const conflict = await deps.state.getConflict(configId, conflictId);
      if (!conflict) throw new NotFoundError("conflict");
      if (conflict.status !== "open") throw new ConflictStateError("the conflict is already resolved");
      const values = checkResolution(conflict, input);
      const resolved: ConflictRecord = {
        ...eraseValues(conflict),
        kind: reviewKindOf(conflict),
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

/** A field is mastered by the side it flows from; a two-way field by its owner, or by nobody (`newest`, `manual`). */
function masterOf(direction: string, owner: string): "portal" | "meander" | null {
  if (direction === "toMeander") return "portal";
  if (direction === "toPortal") return "meander";
  return owner === "portal" || owner === "meander" ? owner : null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a person needed to decide is kept only while the item is open: ids, field names and kinds stay. */
function eraseValues(conflict: ConflictRecord): ConflictRecord {
  const { subject, candidateDetails, hasMemberNumber: _hasMemberNumber, ...rest } = conflict;
  const bare = (p: NonNullable<ConflictRecord["subject"]>) => ({ side: p.side, id: p.id, ...(p.url ? { url: p.url } : {}) });
  return {
    ...rest,
    fields: conflict.fields.map((f) => ({ field: f.field, base: null, meander: null, portal: null })),
    ...(subject ? { subject: bare(subject) } : {}),
    ...(candidateDetails ? { candidateDetails: candidateDetails.map(bare) } : {}),
  };
}

/**
 * A decision must fit its item: one value per conflicting (or oscillating) field; a candidate for an
 * ambiguous or confirmMatch item; a contact id for an unmatched one. `partner: null` asks
 * for a new record: for an unmatched record only when it carries a membership number.
 */
function checkResolution(conflict: ConflictRecord, input: ResolutionInput): Record<string, Scalar> {
  const given = input.values ?? {};
  const kind = reviewKindOf(conflict);
  if (kind === "ambiguous" || kind === "confirmMatch" || kind === "unmatched") {
    if (input.choice !== "value") throw new ValidationError("choice", `a ${kind} item is resolved with choice "value" and values.partner`);
    if (!Object.hasOwn(given, "partner")) throw new ValidationError("values.partner", "is required: a record id, or null");
    const extra = Object.keys(given).find((k) => k !== "partner");
    if (extra) throw new ValidationError(`values.${extra}`, "is not a field of this item");
    const partner = given.partner;
    if (kind === "unmatched") {
      if (partner === null && conflict.hasMemberNumber !== true)
        throw new ValidationError("values.partner", "a new contact is created only for a record with a membership number: give the id of an existing contact");
      if (partner !== null && !(typeof partner === "string" && (conflict.meanderId ? GUID.test(partner) : partner.length > 0)))
        throw new ValidationError("values.partner", "must be the id (GUID) of the record to couple with, or null to create one");
      return { partner };
    }
    if (partner !== null && !(typeof partner === "string" && conflict.candidates?.includes(partner))) {
      throw new ValidationError("values.partner", "must be one of the item's candidates, or null for none of them");
    }
    return { partner };
  }
  if (input.choice !== "value") {
    if (input.values && Object.keys(input.values).length > 0) throw new ValidationError("values", `only allowed with choice "value"`);
    // The side's values now, since the item's own values are erased when it is resolved.
    return Object.fromEntries(conflict.fields.map((f) => [f.field, input.choice === "meander" ? f.meander : f.portal]));
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
