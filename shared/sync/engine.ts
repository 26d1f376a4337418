/**
 * runSync: one run of one config from lease to run record. Exactly one run per config at a
 * time; a run that dies anywhere loses nothing, because cursors move only past changes that
 * were applied or put in the retry ledger. The pipeline: engine → loop → pairing / apply →
 * the run's owners (context.ts).
 */
import { randomUUID } from "node:crypto";
import type { Side, SyncResult } from "../core/types.js";
import { SIDES } from "../core/types.js";
import { LeaseLostError, toErrorInfo, UnknownConfigError } from "../errors.js";
import type { RunOptions } from "../service.js";
import { sweepPlainBaselines } from "./baselineSweep.js";
import { createRunContext, pause, type RunContext } from "./context.js";
import type { EngineDeps } from "./deps.js";
import { echoesToRemember } from "./echo.js";
import { DAY_MS, LeaseKeeper } from "./lease.js";
import { processLeftovers, processStream, readHeld } from "./loop.js";
import { RunTracker } from "./runRecord.js";
import { isStopping } from "./stop.js";
import { lookupConfigsOf } from "./waiting.js";

/** Leaves time to save the checkpoint and the run record before the budget ends. */
const BUDGET_MARGIN_MS = 5_000;
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
  const budgetMs = options.trigger === "manual" ? settings.httpTimeBudgetMs : settings.timeBudgetMs;
  const { keeper, tookOverFrom } = await LeaseKeeper.take(
    deps,
    configId,
    runId,
    dryRun,
    startedAt.getTime() + budgetMs - BUDGET_MARGIN_MS,
    lookupConfigsOf(compiled),
  );
  if (tookOverFrom) tracker.note(`run ${tookOverFrom} ended without releasing its lease (stopped or crashed); this run continues its work`);
  const ctx = createRunContext(deps, compiled, tracker, keeper);
  const base = { runId, configId, trigger: options.trigger, dryRun };
  logger.info("sync run started", base);

  let fatal: ReturnType<typeof toErrorInfo> | undefined;
  try {
    await sweepPlainBaselines(ctx);
    const retries = await loadRetries(ctx);
    await passes(ctx, retries.ids);
    // Only a run that got through its retries has looked at the waiting records.
    if (retries.lookupsChanged) keeper.markLookupsSeen(lookupConfigsOf(compiled));
    await pause(ctx, "before-cursors");
  } catch (error) {
    if (isStopping(error)) tracker.stopEarly((error as Error).message);
    else fatal = toErrorInfo(error);
    // A unit's save may still be going on (saving.ts): the release must not race it. Its own failure, if any, came first or changes nothing.
    await ctx.saving.done().catch(() => undefined);
  }

  let purgeDue = false;
  if (!dryRun) {
    const released = await keeper.release(ctx.ledger.counts);
    purgeDue = released.purgeDue;
    if (!released.released) fatal ??= new LeaseLostError(configId).toInfo();
  }
  const result = tracker.finish(clock.now(), {
    ...(fatal ? { fatal } : {}),
    ledger: ctx.ledger.counts,
    lookupConfigs: lookupConfigsOf(compiled),
    conflictsOpen: ctx.decisions.openCount,
    conflictsOpenByKind: ctx.decisions.openByKind,
  });

  if (!dryRun) await finishRun(deps, configId, result, purgeDue);
  const counts = Object.fromEntries(SIDES.flatMap((side) => Object.entries(result.counts[side]).map(([k, v]) => [`${side}_${k}`, v])));
  const line = {
    ...base,
    status: result.status,
    durationMs: result.durationMs,
    errorCount: result.errorCount,
    conflictsOpen: result.conflicts.open,
    ledgerSize: result.ledger.size,
    ...(result.ledger.waiting ? { ledgerWaiting: result.ledger.waiting } : {}),
    ...counts,
  };
  if (result.status === "failed") logger.error("sync run finished", { ...line, errorCode: result.errors.at(-1)?.code });
  else logger.info("sync run finished", line);
  if (result.conflicts.found > 0) logger.warn("sync run parked conflicts", { ...base, conflictsFound: result.conflicts.found });
  return result;
}

/**
 * One pass over the feeds, and a second for a run that wrote, unless the next run can step past
 * its writes instead. Its writes come back through the feeds (echoes, echo.ts). When they are
 * few and each write answered with the record's new version, the run leaves those versions in
 * the control row with its cursors, and the next run recognises them there: no second page per
 * side now, no link read then. Otherwise (a write answered without a version, e.g. a plug-in
 * rewrote it, which must be read back and planned in this run; or too many for the row) the
 * second pass reads them back while their links are in memory, so the next run starts after them.
 */
async function passes(ctx: RunContext, retry: Record<Side, string[]>): Promise<void> {
  const { hold, stream, lease, dryRun } = ctx;
  for (const side of SIDES) ctx.remembered.exclude(side, retry[side]);
  for (let pass = 1; pass <= 2; pass++) {
    const held = await readHeld(ctx, hold && pass === 1 ? retry[hold] : []);
    const heldCount = ctx.feeds.held?.size ?? 0;
    if (pass === 1) {
      const streamFrom = lease.cursor(stream);
      const firstRead = streamFrom?.checkpoint === undefined && streamFrom?.cursor === undefined && (!hold || held.fullResync);
      // Many held changes (a mass edit in the portal): one scan of the links costs far fewer
      // Table requests than a point read per record.
      if (firstRead || heldCount >= PRELOAD_LINKS_AT) await ctx.links.preload();
      if (!dryRun && heldCount + retry.meander.length + retry.portal.length > 0) await saveRunning(ctx.deps, ctx.tracker.result);
    }
    const streamed = await processStream(ctx, pass === 1 ? retry[stream] : []);
    const leftovers = await processLeftovers(ctx);
    if (dryRun) break;
    // Cursors past everything applied or in the ledger; they move with the release (one
    // conditional write, refused if the lease was lost), or with the next checkpoint.
    lease.moveCursor(stream, streamed.cursor);
    if (hold) lease.moveCursor(hold, held.cursor);
    if (streamed.written + leftovers === 0) break;
    const echoes = pass === 1 ? echoesToRemember(ctx) : undefined;
    if (echoes) {
      lease.rememberEchoes(echoes);
      break;
    }
  }
}

/** Ledger entries (waiting ones when their lookups may resolve now: waiting.ts) and decided conflicts: re-read those records this run. */
async function loadRetries(ctx: RunContext): Promise<{ ids: Record<Side, string[]>; lookupsChanged: boolean }> {
  const lookupsChanged = ctx.lease.lookupsChanged(lookupConfigsOf(ctx.compiled));
  const ledger = await ctx.ledger.load(ctx.lease.ledger, lookupsChanged);
  ctx.tracker.ledgerRetried(ledger.meander.length + ledger.portal.length);
  const decided = await ctx.decisions.load();
  const ids = {
    meander: [...new Set([...ledger.meander, ...decided.meander])],
    portal: [...new Set([...ledger.portal, ...decided.portal])],
  };
  return { ids, lookupsChanged };
}

async function saveRunning(deps: EngineDeps, result: Readonly<SyncResult>): Promise<void> {
  try {
    await deps.runs.saveRun({ ...result });
  } catch (error) {
    deps.logger.warn("could not save the running run record", { runId: result.runId, errorCode: toErrorInfo(error).code });
  }
}

/** The run record, and old runs purged once a day. */
async function finishRun(deps: EngineDeps, configId: string, result: SyncResult, purgeDue: boolean): Promise<void> {
  try {
    await deps.runs.saveRun(result);
  } catch (error) {
    deps.logger.error("could not save the run record", { runId: result.runId, errorCode: toErrorInfo(error).code });
  }
  if (!purgeDue) return;
  try {
    const now = deps.clock.now();
    const before = new Date(now.getTime() - deps.settings.retentionDays * DAY_MS);
    const purged = await deps.runs.purgeRuns(configId, before);
    if (purged > 0) deps.logger.info("old sync runs purged", { configId, purged });
    // Resolved review items hold no personal data, but they are kept no longer than the runs that applied them.
    const items = (await deps.state.purgeConflicts?.(configId, before)) ?? 0;
    if (items > 0) deps.logger.info("old review items purged", { configId, purged: items });
  } catch (error) {
    deps.logger.warn("could not purge old runs", { configId, errorCode: toErrorInfo(error).code });
  }
}
