/**
 * How many requests may be in flight right now: one after a quiet spell or a
 * 429, doubling with each success up to the bulkhead's size. A burst sent before
 * the first answer, or right after a Retry-After, is exactly what a throttled
 * server sees as ignoring it; starting with one request costs one round trip.
 */
export class SlowStart {
  private limit = 1;
  private active = 0;
  private lastDone = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    /** After this long without requests the next ones start over at one. */
    private readonly idleMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get inFlightLimit(): number {
    return this.limit;
  }

  async acquire(): Promise<void> {
    if (this.active === 0 && this.now() - this.lastDone > this.idleMs) this.limit = 1;
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** `throttled`: the answer asked us to wait (429, 503 with Retry-After). */
  release(outcome: "ok" | "throttled" | "failed"): void {
    this.active -= 1;
    this.lastDone = this.now();
    if (outcome === "ok") this.limit = Math.min(this.max, this.limit * 2);
    else if (outcome === "throttled") this.limit = 1;
    while (this.active < this.limit && this.waiting.length) {
      this.active += 1;
      this.waiting.shift()!();
    }
  }
}
