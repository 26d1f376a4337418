/** Stops a run before it deletes more than the config allows: every delete planned so far in the run counts. */
import type { CompiledConfig } from "../core/compile.js";
import { massDeleteGuard } from "../core/planSummary.js";
import type { PairPlan } from "../core/types.js";
import { FatalError } from "../errors.js";
import type { StateStore } from "../ports.js";
import type { LinkCache } from "./links.js";

export class DeleteGuard {
  private readonly deletePlans: PairPlan[] = [];
  private linkedCount?: number;

  constructor(
    private readonly state: StateStore,
    private readonly compiled: CompiledConfig,
    private readonly links?: LinkCache,
  ) {}

  /** Throws MASS_DELETE_BLOCKED when this unit's deletes take the run over the limit. */
  async check(plans: readonly PairPlan[]): Promise<void> {
    // Retiring or deactivating destroys nothing, but a mass of them is the same alarm (a wiped source).
    const withDeletes = plans.filter((plan) => plan.outcome === "retire" || plan.outcome === "deactivate" || plan.actions.some((a) => a.kind === "delete"));
    if (withDeletes.length === 0) return;
    this.deletePlans.push(...withDeletes);
    this.linkedCount ??= await this.countLinks();
    const guard = massDeleteGuard(this.deletePlans, this.compiled, this.linkedCount);
    if (guard.blocked) {
      throw new FatalError(
        "MASS_DELETE_BLOCKED",
        `the run would delete ${guard.deletes} records, more than the limit of ${guard.limit}: nothing deleted; check the source, then raise massDeleteGuard or run again`,
      );
    }
  }

  /** The run's links when it holds them all (a preload), else a listing of the config's links. */
  private async countLinks(): Promise<number> {
    const held = this.links?.count();
    if (held !== undefined) return held;
    let n = 0;
    for await (const _ of this.state.listLinks(this.compiled.config.id)) n++;
    return n;
  }
}
