/** Reads the metadata every config needs (its table and its lookups' tables) and checks the configs against it. */
import type { SyncConfig } from "../../../core/configTypes.js";
import type { DataverseClient } from "../client.js";
import { checkConfig, type Finding } from "./checkConfig.js";
import { readTableMetadata, type TableMetadata } from "./metadata.js";

export async function checkConfigs(client: DataverseClient, configs: readonly SyncConfig[]): Promise<Finding[]> {
  const sets = new Set<string>();
  // Options are read only for columns a value map writes: one request less per table otherwise.
  const choices = new Map<string, Set<string>>();
  for (const config of configs) {
    sets.add(config.portal.entity);
    const mapped = choices.get(config.portal.entity) ?? new Set<string>();
    for (const field of config.fields) {
      if (field.lookup) sets.add(field.lookup.entitySet);
      if (field.valueMap) mapped.add(field.portal);
    }
    choices.set(config.portal.entity, mapped);
  }
  const tables = new Map<string, TableMetadata | undefined>();
  for (const set of sets) tables.set(set, await readTableMetadata(client, set, choices.get(set) ?? new Set()));
  return configs.flatMap((config) => checkConfig(config, tables));
}

export const errorsOf = (findings: readonly Finding[]) => findings.filter((f) => f.level === "error");
