/**
 * How many records one Dataverse read by id carries: the adapter puts as many `contactid eq …`
 * clauses in one GET as fit under the client's URL limit (shared/adapters/dataverse/odata.ts),
 * with the columns HLF's likepersons config reads. The minimum of a narrowed feed counts its
 * in-scope changes in reads of this size.
 */
import { idsPerGet } from "../shared/adapters/dataverse/read.js";
import { defaultConfigDir, loadCompiledConfigs } from "../shared/config/syncConfig.js";
import { CONFIG_ID } from "./params.js";

let cached: number | undefined;

/** Ids per GET for the likepersons config in configs/ (at least 1), as the adapter counts them (read.ts, idsPerGet). */
export function idsPerRead(): number {
  if (cached !== undefined) return cached;
  const compiled = loadCompiledConfigs(defaultConfigDir()).get(CONFIG_ID);
  if (!compiled) throw new Error(`no ${CONFIG_ID} config in ${defaultConfigDir()}`);
  const { portal, matchKeys } = compiled.config;
  // The columns the composition root gives the entity set (shared/composition.ts, portalEntities).
  cached = idsPerGet(portal.entity, { idField: portal.idField, select: [...compiled.portalColumns, ...matchKeys.map((k) => k.portal), "modifiedon"] });
  return cached;
}
