/**
 * How many requests may be in flight right now: one after a quiet spell or a
 * 429, doubling with each success up to the cap. A burst sent before the first
 * answer, or right after a Retry-After, is exactly what a throttled server sees
 * as ignoring it; starting with one request costs one round trip.
 *
 * The cap is read at every acquire and release, so it can move while requests
 * are out: Dataverse's `x-ms-dop-hint` falls and rises with the environment's load
 * (dopHint.ts). Lowered, no new request goes out until fewer than the new cap are
 * in flight; raised, the limit grows towards it by doubling as before.
 */
export class SlowStart {
  private limit = 1;
  private active = 0;
  private lastDone = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly cap: () => number;

  constructor(
    /** The most in flight: a number, or read each time (the setting and the hint last seen). */
    max: number | (() => number),
    /** After this long without requests the next ones start over at one. */
    private readonly idleMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.cap = typeof max === "number" ? () => max : max;
  }

  get inFlightLimit(): number {
    return Math.min(this.limit, this.max());
  }

  async acquire(): Promise<void> {
    if (this.active === 0 && this.now() - this.lastDone > this.idleMs) this.limit = 1;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.drain();
    });
  }

  /** `throttled`: the answer asked us to wait (429, 503 with Retry-After). */
  release(outcome: "ok" | "throttled" | "failed"): void {
    this.active -= 1;
    this.lastDone = this.now();
    const max = this.max();
    if (outcome === "ok") this.limit = Math.min(max, this.limit * 2);
    else if (outcome === "throttled") this.limit = 1;
    else this.limit = Math.min(max, this.limit);
    this.drain();
  }

  /** A throttled answer outside acquire/release (one part of an answered batch): start over at one. */
  throttle(): void {
    this.limit = 1;
  }

  /** Lets waiting requests out, first come first served, up to the limit. */
  private drain(): void {
    while (this.active < this.inFlightLimit && this.waiting.length) {
      this.active += 1;
      this.waiting.shift()!();
    }
  }

  private max(): number {
    return Math.max(1, Math.floor(this.cap()));
  }
}
