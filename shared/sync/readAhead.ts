/**
 * Reading ahead. The streamed side's next page is asked for while the current one is paired,
 * written and saved: on a first run that page's round trip is otherwise time the run only
 * waits. One page at most is in flight, so the run holds at most one page more than it
 * works on. Nothing about a page is decided before the loop takes it: echoes, checkpoints
 * and the time budget are all judged in the loop, in order (loop.ts).
 *
 * When the loop stops early (the time budget, a side that did not answer), the page in flight
 * is left to finish on its own and whatever it brings, or throws, is dropped.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let done = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        done = true;
        return;
      }
      next = iterator.next();
      yield result.value;
    }
  } finally {
    if (!done) {
      // The loop left early: the read in flight is not waited for, and its failure is not the run's.
      next.then(() => iterator.return?.()).catch(() => undefined);
    }
  }
}
