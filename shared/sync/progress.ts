/** A progress line every 10 s of a long run (records done and rate), for operators watching a first run. */
import type { Logger } from "../ports.js";

const EVERY_MS = 10_000;

export class Progress {
  private lastAt = 0;
  private done = 0;

  constructor(
    private readonly logger: Logger,
    private readonly runId: string,
    private readonly configId: string,
    private readonly startedAt: Date,
  ) {}

  add(records: number): void {
    this.done += records;
    const now = Date.now();
    if (now - this.lastAt < EVERY_MS) return;
    this.lastAt = now;
    const seconds = (now - this.startedAt.getTime()) / 1000;
    this.logger.info("sync run progress", {
      runId: this.runId,
      configId: this.configId,
      recordsDone: this.done,
      recordsPerSecond: Math.round(this.done / Math.max(seconds, 0.001)),
    });
  }
}
