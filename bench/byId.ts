/**
 * How many records one Dataverse read by id carries: the adapter puts as many `contactid eq …`
 * clauses in one GET as fit under the client's URL limit (shared/adapters/dataverse/odata.ts),
 * with the columns HLF's likepersons config reads. The minimum of a narrowed feed counts its
 * in-scope changes in reads of this size.
 */
import { CLIENT_PATH_LIMIT, chunkFilters, equalsClause } from "../shared/adapters/dataverse/odata.js";
import { columnsFor } from "../shared/adapters/dataverse/read.js";
import { defaultConfigDir, loadCompiledConfigs } from "../shared/config/syncConfig.js";
import { CONFIG_ID } from "./params.js";

let cached: number | undefined;

/** Ids per GET for the likepersons config in configs/ (at least 1). */
export function idsPerRead(): number {
  if (cached !== undefined) return cached;
  const compiled = loadCompiledConfigs(defaultConfigDir()).get(CONFIG_ID);
  if (!compiled) throw new Error(`no ${CONFIG_ID} config in ${defaultConfigDir()}`);
  const { portal, matchKeys } = compiled.config;
  // The columns the composition root gives the entity set (shared/composition.ts, portalEntities).
  const select = columnsFor({ idField: portal.idField, select: [...compiled.portalColumns, ...matchKeys.map((k) => k.portal), "modifiedon"] });
  const guid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const clauses = Array.from({ length: CLIENT_PATH_LIMIT }, (_, i) => equalsClause(portal.idField, guid(i), true)!);
  cached = Math.max(1, chunkFilters(portal.entity, select, clauses)[0]?.split(" or ").length ?? 1);
  return cached;
}
