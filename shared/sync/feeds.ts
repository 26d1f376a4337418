/**
 * What the run knows of each side's feed while pairing: the held side's changes (a ChangeSet),
 * and, when the streamed side is read in full, an index of its keys so that the held side's
 * leftovers can still see who exists there.
 */
import type { CompiledConfig } from "../core/compile.js";
import type { Side } from "../core/types.js";
import { type ChangeSet, KeyIndex } from "./changeSet.js";

export class Feeds {
  private heldSet?: ChangeSet;
  private streamIndex?: KeyIndex;
  private streamFull = false;

  constructor(
    private readonly compiled: CompiledConfig,
    readonly stream: Side,
    readonly hold: Side | undefined,
  ) {}

  get held(): ChangeSet | undefined {
    return this.heldSet;
  }

  setHeld(set: ChangeSet): void {
    this.heldSet = set;
  }

  /** The streamed side starts; read from the beginning, it is indexed for the leftovers. */
  startStream(full: boolean): void {
    this.streamFull = full;
    if (full && this.hold) this.streamIndex = new KeyIndex(this.compiled, this.stream);
  }

  /** The stored cursor was refused mid-run: this is a full read after all. */
  streamRestarted(): void {
    this.streamFull = true;
  }

  /** The key index of `side` when it is the streamed side read in full (the loop adds each record it reads). */
  indexOf(side: Side): KeyIndex | undefined {
    return side === this.stream ? this.streamIndex : undefined;
  }

  /** The held changes of `side`, if `side` is the held one. */
  heldOf(side: Side): ChangeSet | undefined {
    return side === this.hold ? this.heldSet : undefined;
  }

  /** Whether what we hold of `side` is all of it (a miss then means "no such record"). */
  complete(side: Side): boolean {
    return side === this.hold ? Boolean(this.heldSet?.full) : side === this.stream ? this.streamFull : false;
  }
}
