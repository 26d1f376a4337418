/** An in-memory SyncService that keeps the interface's promises (typed errors), for handler tests. */
import { emptyCounts, type SyncResult, type SyncRun, type Trigger } from "../../shared/core/types.js";
import { AlreadyRunningError, ConflictStateError, NotFoundError, UnknownConfigError, ValidationError } from "../../shared/errors.js";
import type { ConflictRecord, ConflictStatus, LedgerEntry } from "../../shared/ports.js";
import type { AdminService, ConfigOverview, ConfigSummary, ResolutionInput, RunOptions } from "../../shared/service.js";

export const SECRET_CANARY = "client-secret-c4n4ry Ola Nordmann ola@example.no";

const summary = (id: string, enabled: boolean): ConfigSummary => ({
  id,
  enabled,
  direction: "both",
  meanderEntity: "likepersons",
  portalEntity: "contacts",
  fields: [{ meander: "email", portal: "emailaddress1", direction: "both", owner: "newest", master: null }],
  matchKeys: [{ meander: "email", portal: "emailaddress1", autoCouple: true }],
});

export function result(configId: string, trigger: Trigger, runId: string, status: SyncResult["status"] = "succeeded", dryRun = false): SyncResult {
  return {
    runId,
    configId,
    trigger,
    dryRun,
    status,
    startedAt: "2026-11-26T10:00:00.000Z",
    finishedAt: "2026-11-26T10:00:01.500Z",
    durationMs: 1500,
    counts: { meander: emptyCounts(), portal: { ...emptyCounts(), read: 3, updated: 1 } },
    conflicts: { found: 1, autoResolved: 0, resolved: 0, open: 1 },
    ledger: { size: 0, retried: 0, recovered: 0 },
    errors: status === "failed" ? [{ code: "AUTH_FAILED", message: "authentication failed" }] : [],
    errorCount: status === "failed" ? 1 : 0,
    notes: [],
    ...(dryRun
      ? { plan: { creates: [], updates: [{ side: "portal", id: "p-1", fields: ["email"] }], deletes: [], conflicts: [], massDeleteBlocked: false } }
      : {}),
  };
}

export class FakeService implements AdminService {
  readonly calls: { configId: string; options: RunOptions }[] = [];
  readonly runs = new Map<string, SyncRun[]>();
  readonly conflicts = new Map<string, ConflictRecord>();
  readonly ledger = new Map<string, LedgerEntry[]>([
    [
      "likepersons",
      [
        {
          side: "portal",
          recordId: "p-9",
          attempts: 2,
          firstFailedAt: "2026-11-26T09:00:00.000Z",
          lastFailedAt: "2026-11-26T10:00:00.000Z",
          lastError: { code: "PRECONDITION_FAILED", kind: "record", message: "the record changed since it was read", status: 412 },
        },
      ],
    ],
  ]);
  /** configId → the run that holds its lease. */
  readonly running = new Map<string, string>();
  /** configId → what runSync does for it. */
  readonly behaviour = new Map<string, "fail" | "throw" | "explode">();
  private next = 0;

  constructor(readonly configs: ConfigSummary[] = [summary("likepersons", true), summary("activities", true), summary("archive", false)]) {
    this.conflicts.set("c-1", {
      conflictId: "c-1",
      configId: "likepersons",
      kind: "fieldConflict",
      meanderId: "m-1",
      portalId: "p-1",
      fields: [{ field: "phone", base: "+4791111111", meander: "+4792222222", portal: "+4793333333" }],
      detectedAt: "2026-11-26T10:00:00.000Z",
      status: "open",
    });
  }

  private known(configId: string): void {
    if (!this.configs.some((c) => c.id === configId)) throw new UnknownConfigError(configId);
  }

  async runSync(configId: string, options: RunOptions): Promise<SyncResult> {
    this.known(configId);
    const holder = this.running.get(configId);
    if (holder) throw new AlreadyRunningError(configId, holder);
    this.calls.push({ configId, options });
    const mode = this.behaviour.get(configId);
    if (mode === "throw") throw new Error(SECRET_CANARY);
    if (mode === "explode") throw new TypeError(`cannot read ${SECRET_CANARY}`);
    const run = result(configId, options.trigger, `run-${++this.next}`, mode === "fail" ? "failed" : "succeeded", options.dryRun === true);
    this.runs.set(configId, [run, ...(this.runs.get(configId) ?? [])]);
    return run;
  }

  async getSyncHistory(configId: string, limit: number): Promise<SyncRun[]> {
    this.known(configId);
    return (this.runs.get(configId) ?? []).slice(0, limit);
  }

  async getRun(configId: string, runId: string): Promise<SyncRun | undefined> {
    this.known(configId);
    return this.runs.get(configId)?.find((r) => r.runId === runId);
  }

  async listConflicts(configId: string, status: ConflictStatus = "open"): Promise<ConflictRecord[]> {
    this.known(configId);
    return [...this.conflicts.values()].filter((c) => c.configId === configId && c.status === status);
  }

  async resolveConflict(configId: string, conflictId: string, input: ResolutionInput): Promise<ConflictRecord> {
    this.known(configId);
    const conflict = this.conflicts.get(conflictId);
    if (!conflict || conflict.configId !== configId) throw new NotFoundError("conflict");
    if (conflict.status !== "open") throw new ConflictStateError(`conflict ${conflictId} is already resolved`);
    const fields = new Set(conflict.fields.map((f) => f.field));
    for (const field of Object.keys(input.values ?? {}))
      if (!fields.has(field)) throw new ValidationError(`values.${field}`, "is not a field of this conflict");
    const resolved: ConflictRecord = {
      ...conflict,
      status: "resolved",
      resolution: {
        choice: input.choice,
        values: input.values ?? {},
        resolvedAt: "2026-11-26T11:00:00.000Z",
        ...(input.resolvedBy ? { resolvedBy: input.resolvedBy } : {}),
      },
    };
    this.conflicts.set(conflictId, resolved);
    return resolved;
  }

  async listLedger(configId: string): Promise<LedgerEntry[]> {
    this.known(configId);
    return this.ledger.get(configId) ?? [];
  }

  async getOverview(configId: string): Promise<ConfigOverview> {
    this.known(configId);
    const enabled = this.configs.find((c) => c.id === configId)!.enabled;
    const lastRun = this.runs.get(configId)?.find((r) => !r.dryRun);
    return {
      configId,
      enabled,
      ...(lastRun ? { lastRun } : {}),
      schedule: "0 */15 * * * *",
      ...(enabled ? { nextTimerRun: "2026-11-26T10:15:00.000Z" } : {}),
      openReviewItems: (await this.listConflicts(configId, "open")).length,
      ledgerSize: (this.ledger.get(configId) ?? []).length,
    };
  }

  listConfigs(): readonly ConfigSummary[] {
    return this.configs;
  }

  enabledConfigIds(): readonly string[] {
    return this.configs.filter((c) => c.enabled).map((c) => c.id);
  }
}
