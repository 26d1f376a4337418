/** What the planner takes: one pair's views and the context shared by a unit. A leaf module: the planner and the field merge both import it. */
import type { Link, Resolution, Scalar, Side, SideView } from "./types.js";

export interface PairInput {
  readonly link?: Link;
  readonly meander: SideView;
  readonly portal: SideView;
  readonly resolutions?: readonly Resolution[];
  /** A person asked for a new partner record (an `unmatched` item resolved with `partner: null`). */
  readonly forceCreate?: boolean;
  /** The side whose record came back into scope and couples with the partner its scope exit left (scopeReturn.ts). */
  readonly returning?: Side;
}

export interface PlanContext {
  /** Meander id of a referenced record -> its partner's portal id (lookup fields). */
  readonly lookups?: ReadonlyMap<string, string>;
  /** ISO time of the run: with a baseline fingerprinter, the loop guard (oscillation.ts) runs. */
  readonly now?: string;
  /** The loop guard; set by planPairHashed from `now` and the fingerprinter, or by a test. */
  readonly loops?: LoopGuard;
}

/** What the planner needs to run the loop guard (oscillation.ts): the time of the run, and one field's value fingerprinted. */
export interface LoopGuard {
  readonly now: string;
  readonly fingerprint: (field: string, value: Scalar) => string;
}
