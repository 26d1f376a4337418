import { TransientError } from "../errors.js";

/** Stops a run early and cleanly: the work done so far is kept and the next run goes on. */
export class StopRun extends Error {}

/** Transient failures that outlast the retries end the run early, keeping what was done. */
export function isStopping(error: unknown): boolean {
  return error instanceof StopRun || error instanceof TransientError;
}
