/**
 * Saving behind. A unit's own state (its links, ledger entries and review items, then the
 * checkpoint of its page) is written to Table Storage while the next unit is read, paired
 * and written to the sides: the two take about as long on a first run, and they wait on
 * different services. The run's caches hold the unit's links from the moment it is applied,
 * so the next unit pairs as if they were saved.
 *
 * What keeps a crash harmless is unchanged: a page's checkpoint is written only after its
 * unit's state, and the cursors move (with the release) only after every save is done. A
 * crash while a unit is being saved is a crash between a unit's side writes and its links,
 * which the next run repairs as it always did (records written but not linked couple again
 * by their link field or key). One unit's save is in flight at a time: the next waits for it,
 * so the run never gets more than one unit ahead of its saved state.
 */
export class SaveBehind {
  private tail: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;

  /** Starts `job` once the save before it is done; throws that save's failure instead, if it failed. */
  async start(job: () => Promise<void>): Promise<void> {
    await this.done();
    this.tail = job().catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /** Every save started is done; throws the first that failed. */
  async done(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.error;
  }
}
