/**
 * The service's public interface (docs/architecture.md). The triggers and the admin tooling
 * use these; each works on the process's composed service.
 */
import { getService } from "./composition.js";
import type { SyncResult, SyncRun } from "./core/types.js";

export type { AuthToken, PortalCredentials } from "./adapters/auth/index.js";
export { authenticate } from "./adapters/auth/index.js";
export { createService, getService, setServiceForProcess } from "./composition.js";
export { applyFieldMappings } from "./core/mapping.js";
export type { FieldMapping, SyncResult, SyncRun } from "./core/types.js";
export type { SyncService } from "./service.js";

/** A scheduled run of one config. */
export async function runSync(configId: string): Promise<SyncResult> {
  return (await getService()).runSync(configId, { trigger: "timer" });
}

/** A run started by a person from the admin UI. */
export async function triggerManualSync(configId: string): Promise<SyncResult> {
  return (await getService()).runSync(configId, { trigger: "manual" });
}

/** History of a config, newest first. */
export async function getSyncHistory(configId: string, limit: number): Promise<SyncRun[]> {
  return (await getService()).getSyncHistory(configId, limit);
}
