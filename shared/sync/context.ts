/**
 * What one run works with: the config, the ports, and the parts that each own a piece of the
 * run's state. It holds no behaviour of its own; the loop, pairing and applying use the parts.
 */
import type { CompiledConfig } from "../core/compile.js";
import type { Side } from "../core/types.js";
import type { RecordSide } from "../ports.js";
import { Claims } from "./claims.js";
import { Decisions } from "./decisions.js";
import { DeleteGuard } from "./deleteGuard.js";
import type { EngineDeps } from "./deps.js";
import { Feeds } from "./feeds.js";
import type { LeaseKeeper } from "./lease.js";
import { RetryLedger } from "./ledger.js";
import { LinkCache } from "./links.js";
import { Progress } from "./progress.js";
import { RememberedEchoes } from "./remembered.js";
import type { RunTracker } from "./runRecord.js";
import { SaveBehind } from "./saving.js";

export interface RunContext {
  readonly deps: EngineDeps;
  readonly compiled: CompiledConfig;
  readonly configId: string;
  /** Streamed page by page, checkpointed. */
  readonly stream: Side;
  /** Read fully first and held; undefined for one-way configs (the target is never read). */
  readonly hold: Side | undefined;
  readonly dryRun: boolean;
  readonly tracker: RunTracker;
  readonly lease: LeaseKeeper;
  readonly links: LinkCache;
  /** The last run's own writes, which this run's feeds bring back (echo.ts). */
  readonly remembered: RememberedEchoes;
  readonly decisions: Decisions;
  readonly ledger: RetryLedger;
  readonly claims: Claims;
  readonly deletes: DeleteGuard;
  readonly feeds: Feeds;
  readonly progress: Progress;
  /** A unit's state saved while the next unit is worked on. */
  readonly saving: SaveBehind;
  /** Lookup fields' targets this run has looked up: `<config>:<Meander id>` → portal id, null for none (apply.ts). */
  readonly lookupLinks: Map<string, string | null>;
}

export function createRunContext(deps: EngineDeps, compiled: CompiledConfig, tracker: RunTracker, lease: LeaseKeeper): RunContext {
  const configId = compiled.config.id;
  const direction = compiled.config.direction;
  const stream: Side = direction === "toMeander" ? "portal" : "meander";
  const hold: Side | undefined = direction === "both" ? "portal" : undefined;
  const { runId, dryRun, startedAt } = tracker.result;
  const links = new LinkCache(deps.state, configId);
  return {
    deps,
    compiled,
    configId,
    stream,
    hold,
    dryRun,
    tracker,
    lease,
    links,
    remembered: new RememberedEchoes(lease.echoes),
    decisions: new Decisions(deps.state, configId),
    ledger: new RetryLedger(deps.state, configId, deps.settings.ledgerMaxAttempts),
    claims: new Claims(),
    deletes: new DeleteGuard(deps.state, compiled, links),
    feeds: new Feeds(compiled, stream, hold),
    progress: new Progress(deps.logger, runId, configId, new Date(startedAt)),
    saving: new SaveBehind(),
    lookupLinks: new Map(),
  };
}

/** The port of one side, and the config's entity there. */
export function sideOf(ctx: RunContext, side: Side): { port: RecordSide; entity: string } {
  return { port: ctx.deps.sides[side], entity: ctx.compiled.config[side].entity };
}

export async function pause(ctx: RunContext, point: string): Promise<void> {
  await ctx.deps.pause?.(point);
}
