/**
 * runSync: one run of one config from lease to run record (DESIGN §5). Exactly one run
 * per config at a time; a run that dies anywhere loses nothing, because cursors move
 * only past changes that were applied or put in the retry ledger.
 */
import { randomUUID } from "node:crypto";
import { summarizePlans } from "../core/planSummary.js";
import type { Side, SyncResult } from "../core/types.js";
import { SIDES } from "../core/types.js";
import { AlreadyRunningError, LeaseLostError, toErrorInfo, UnknownConfigError } from "../errors.js";
import { type ConfigControl, type ConflictRecord, type Lease, reviewKindOf } from "../ports.js";
import type { RunOptions } from "../service.js";
import type { EngineDeps } from "./deps.js";
import { isStopping, ledgerKey, linkKey, pairKey, Run } from "./run.js";
import { RunTracker } from "./runRecord.js";

/** Leaves time to save the checkpoint and the run record before the budget ends. */
const BUDGET_MARGIN_MS = 5_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Held changes from which all links are read in one scan instead of per record (the Table adapter's own scan threshold). */
const PRELOAD_LINKS_AT = 1_000;

export async function runSync(deps: EngineDeps, configId: string, options: RunOptions): Promise<SyncResult> {
  const compiled = deps.configs.get(configId);
  if (!compiled) throw new UnknownConfigError(configId);
  const { clock, logger, settings } = deps;
  const dryRun = options.dryRun === true;
  const runId = deps.newRunId?.() ?? randomUUID();
  const startedAt = clock.now();
  const tracker = new RunTracker(runId, configId, options.trigger, dryRun, startedAt);

  let lease: Lease | undefined;
  let control: ConfigControl;
  if (dryRun) {
    control = (await deps.locks.readControl?.(configId)) ?? {};
  } else {
    const taken = await deps.locks.acquire(configId, runId, settings.leaseMs);
    if (!taken.acquired) throw new AlreadyRunningError(configId, taken.heldBy);
    lease = taken.lease;
    control = taken.control ?? {};
    if (taken.tookOverFrom) {
      tracker.note(`run ${taken.tookOverFrom} ended without releasing its lease (stopped or crashed); this run continues its work`);
    }
  }

  const budgetMs = options.trigger === "manual" ? settings.httpTimeBudgetMs : settings.timeBudgetMs;
  const run = new Run(deps, compiled, tracker, { value: control }, { value: lease }, startedAt.getTime() + budgetMs - BUDGET_MARGIN_MS, dryRun);
  const base = { runId, configId, trigger: options.trigger, dryRun };
  logger.info("sync run started", base);

  let fatal: ReturnType<typeof toErrorInfo> | undefined;
  try {
    const retry = await loadRetries(run, control);
    // A second pass reads back this run's own writes (echoes) while their links are in memory:
    // they are recognised without a Table read, and the next run starts after them.
    for (let pass = 1; pass <= 2; pass++) {
      const writesBefore = run.writes;
      const held = await run.readHeld(run.hold && pass === 1 ? retry[run.hold] : []);
      if (pass === 1) {
        const streamFrom = run.cursor(run.stream);
        const firstRead = streamFrom?.checkpoint === undefined && streamFrom?.cursor === undefined && (!run.hold || held.fullResync);
        // Many held changes (a mass edit in the portal): one scan of the links costs far fewer
        // Table requests than a point read per record.
        if (firstRead || (run.holdSet?.size ?? 0) >= PRELOAD_LINKS_AT) await run.preloadLinks();
        if (!dryRun && (run.holdSet?.size ?? 0) + retry.meander.length + retry.portal.length > 0) await saveRunning(deps, tracker.result);
      }
      const streamCursor = await run.processStream(pass === 1 ? retry[run.stream] : []);
      await run.processLeftovers();
      if (dryRun) break;
      // Cursors past everything applied or in the ledger; they move with the release (one
      // conditional write, refused if the lease was lost), or with the next checkpoint.
      run.control.value = { ...run.control.value, ...run.setCursor(run.stream, { cursor: streamCursor ?? run.cursor(run.stream)?.cursor }) };
      if (run.hold) run.control.value = { ...run.control.value, ...run.setCursor(run.hold, { cursor: held.cursor ?? run.cursor(run.hold)?.cursor }) };
      if (run.writes === writesBefore) break;
    }
    await run.pause("before-cursors");
  } catch (error) {
    if (isStopping(error)) {
      tracker.stopEarly((error as Error).message);
    } else {
      fatal = toErrorInfo(error);
    }
  }

  if (!dryRun && !(await release(run))) fatal ??= new LeaseLostError(configId).toInfo();
  const result = tracker.result;
  result.ledger.size = run.ledger.size;
  const openItems = [...run.conflicts.values()].filter((c) => c.status === "open");
  result.conflicts.open = openItems.length;
  if (openItems.length) {
    const byKind: Record<string, number> = {};
    for (const c of openItems) byKind[reviewKindOf(c)] = (byKind[reviewKindOf(c)] ?? 0) + 1;
    result.conflicts.openByKind = byKind;
  }
  if (dryRun) result.plan = summarizePlans(run.plans);
  tracker.finish(clock.now(), fatal);

  if (!dryRun) await finishRun(run, result);
  const counts = Object.fromEntries(SIDES.flatMap((side) => Object.entries(result.counts[side]).map(([k, v]) => [`${side}_${k}`, v])));
  const line = {
    ...base,
    status: result.status,
    durationMs: result.durationMs,
    errorCount: result.errorCount,
    conflictsOpen: result.conflicts.open,
    ledgerSize: result.ledger.size,
    ...counts,
  };
  if (result.status === "failed") logger.error("sync run finished", { ...line, errorCode: result.errors.at(-1)?.code });
  else logger.info("sync run finished", line);
  if (result.conflicts.found > 0) logger.warn("sync run parked conflicts", { ...base, conflictsFound: result.conflicts.found });
  return result;
}

/** Ledger entries and decided conflicts: re-read those records this run. */
async function loadRetries(run: Run, control: ConfigControl): Promise<Record<Side, string[]>> {
  const { state, settings } = run.deps;
  const ids: Record<Side, Set<string>> = { meander: new Set(), portal: new Set() };
  if (control.ledgerSize === undefined || control.ledgerSize > 0) {
    for (const entry of await state.listLedger(run.configId)) {
      run.ledger.set(ledgerKey(entry.side, entry.recordId), entry);
      if (entry.attempts < settings.ledgerMaxAttempts) {
        ids[entry.side].add(entry.recordId);
        run.tracker.result.ledger.retried += 1;
      }
    }
  }
  for (const conflict of await state.listConflicts(run.configId)) {
    run.conflicts.set(conflict.conflictId, conflict);
    if (conflict.status !== "resolved" || !conflict.resolution || conflict.resolution.appliedAt) continue;
    queueResolution(run, conflict, ids);
  }
  return { meander: [...ids.meander], portal: [...ids.portal] };
}

function queueResolution(run: Run, conflict: ConflictRecord, ids: Record<Side, Set<string>>): void {
  const { meanderId, portalId, resolution } = conflict;
  if (!resolution) return;
  const kind = reviewKindOf(conflict);
  if (kind === "ambiguous" || kind === "unmatched" || kind === "confirmMatch") {
    // These items name only the record they are about.
    const side: Side = meanderId ? "meander" : "portal";
    const id = (side === "meander" ? meanderId : portalId)!;
    const partner = resolution.values.partner;
    run.partnerChoices.set(linkKey(side, id), typeof partner === "string" ? partner : null);
    run.partnerConflicts.set(linkKey(side, id), conflict.conflictId);
    ids[side].add(id);
    return;
  }
  if (kind === "oscillation") return;
  if (!meanderId || !portalId) return;
  // Resolving turns a side's choice into its values (the item's own values are erased then).
  const values =
    resolution.choice === "value" || Object.keys(resolution.values).length > 0
      ? resolution.values
      : Object.fromEntries(conflict.fields.map((f) => [f.field, resolution.choice === "meander" ? f.meander : f.portal]));
  run.resolutions.set(pairKey(meanderId, portalId), {
    conflictId: conflict.conflictId,
    resolutions: Object.entries(values).map(([field, value]) => ({ field, value })),
  });
  ids[run.stream].add(run.stream === "meander" ? meanderId : portalId);
  if (run.hold) ids[run.hold].add(run.hold === "meander" ? meanderId : portalId);
}

async function saveRunning(deps: EngineDeps, result: SyncResult): Promise<void> {
  try {
    await deps.runs.saveRun({ ...result });
  } catch (error) {
    deps.logger.warn("could not save the running run record", { runId: result.runId, errorCode: toErrorInfo(error).code });
  }
}

/** Step 9: the lease released with the control state (cursors, ledger size). False when it was lost. */
async function release(run: Run): Promise<boolean> {
  const lease = run.lease.value;
  if (!lease) return false;
  const now = run.deps.clock.now();
  const lastPurge = run.control.value.lastPurgeAt ? Date.parse(run.control.value.lastPurgeAt) : 0;
  run.purgeDue = now.getTime() - lastPurge > DAY_MS;
  try {
    return await run.deps.locks.release(lease, {
      ...run.control.value,
      ledgerSize: run.ledger.size,
      ...(run.purgeDue ? { lastPurgeAt: now.toISOString() } : {}),
    });
  } catch (error) {
    run.deps.logger.warn("could not release the lease; it expires by itself", { runId: lease.runId, errorCode: toErrorInfo(error).code });
    return false;
  }
}

/** The run record, and old runs purged once a day. */
async function finishRun(run: Run, result: SyncResult): Promise<void> {
  const { deps } = run;
  try {
    await deps.runs.saveRun(result);
  } catch (error) {
    deps.logger.error("could not save the run record", { runId: result.runId, errorCode: toErrorInfo(error).code });
  }
  if (!run.purgeDue) return;
  try {
    const now = deps.clock.now();
    const before = new Date(now.getTime() - deps.settings.retentionDays * DAY_MS);
    const purged = await deps.runs.purgeRuns(run.configId, before);
    if (purged > 0) deps.logger.info("old sync runs purged", { configId: run.configId, purged });
    // Resolved review items hold no personal data, but they are kept no longer than the runs that applied them.
    const items = (await deps.state.purgeConflicts?.(run.configId, before)) ?? 0;
    if (items > 0) deps.logger.info("old review items purged", { configId: run.configId, purged: items });
  } catch (error) {
    deps.logger.warn("could not purge old runs", { configId: run.configId, errorCode: toErrorInfo(error).code });
  }
}
