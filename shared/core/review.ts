/**
 * What a review item shows of a record: the distinguishing values a person needs to decide
 * (the config's `reviewFields`, canonical), whether it may be matched (an active contact),
 * and a link that opens it in its own system. Pure: the engine stores the result only while
 * the item is open.
 */
import { MappingError } from "../errors.js";
import type { ReviewParty } from "../ports.js";
import type { CompiledConfig } from "./compile.js";
import { mapValue } from "./mapping.js";
import { matchable } from "./matching.js";
import { getPath } from "./paths.js";
import type { Scalar, Side, SideRecord } from "./types.js";

export interface RecordUrls {
  /** The Dataverse environment, e.g. https://hlf.crm4.dynamics.com. */
  readonly dataverseUrl?: string;
  /** Meander's record URL template with `{id}` and optionally `{entity}`. */
  readonly meanderTemplate?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The record's page: Dynamics' `main.aspx?pagetype=entityrecord&etn=<logical name>&id=<guid>`, or Meander's template. */
export function recordUrl(compiled: CompiledConfig, side: Side, id: string, urls: RecordUrls): string | undefined {
  const { config } = compiled;
  if (side === "portal") {
    const etn = config.portal.logicalName;
    if (!urls.dataverseUrl || !etn || !GUID.test(id)) return undefined;
    return `${urls.dataverseUrl.replace(/\/+$/, "")}/main.aspx?pagetype=entityrecord&etn=${encodeURIComponent(etn)}&id=${id}`;
  }
  if (!urls.meanderTemplate) return undefined;
  return urls.meanderTemplate.replaceAll("{entity}", encodeURIComponent(config.meander.entity)).replaceAll("{id}", encodeURIComponent(id));
}

const scalarOf = (v: unknown): Scalar | undefined =>
  v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)) ? v : undefined;

export function partyOf(compiled: CompiledConfig, side: Side, record: SideRecord, urls: RecordUrls): ReviewParty {
  const values: Record<string, Scalar> = {};
  for (const key of compiled.config.reviewFields ?? []) {
    const f = compiled.fieldByKey.get(key);
    if (!f) continue;
    const raw = side === "meander" ? getPath(record.data, f.meanderPath) : record.data[f.portalField];
    const mapping = side === "meander" ? f.meanderCanonical : (f.toMeander ?? f.seedToMeander);
    let value: Scalar | undefined;
    try {
      value = scalarOf(mapping ? mapValue(raw, { ...mapping, required: false }) : raw);
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      value = scalarOf(raw);
    }
    if (value !== undefined) values[key] = value;
  }
  const url = recordUrl(compiled, side, record.id, urls);
  const scoped = compiled.config[side].matchScope;
  return {
    side,
    id: record.id,
    ...(url ? { url } : {}),
    values,
    ...(scoped?.length ? { active: matchable(compiled, side, record) } : {}),
  };
}
