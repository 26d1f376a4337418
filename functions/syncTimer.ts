/**
 * The scheduled sync: every enabled config in turn. One config's failure does not
 * stop the others; the invocation still fails afterwards so the portal shows it.
 */
import type { TimerFunctionOptions } from "@azure/functions";
import { AlreadyRunningError, toErrorInfo } from "../shared/errors.js";
import type { SyncService } from "../shared/service.js";
import { logEvent } from "./http/log.js";

export interface TimerFunction {
  readonly name: string;
  readonly options: TimerFunctionOptions;
}

export function createTimerFunction(getService: () => Promise<SyncService>): TimerFunction {
  const handler: TimerFunctionOptions["handler"] = async (timer, context) => {
    logEvent(context, timer.isPastDue ? "warn" : "info", "sync.timer.start", { isPastDue: timer.isPastDue });
    const service = await getService();
    const failed: string[] = [];
    for (const configId of service.enabledConfigIds()) {
      try {
        const result = await service.runSync(configId, { trigger: "timer" });
        logEvent(context, result.status === "failed" ? "error" : "info", "sync.timer.run", { configId, runId: result.runId, status: result.status });
        if (result.status === "failed") failed.push(`${configId}: run ${result.runId} failed`);
      } catch (error) {
        if (error instanceof AlreadyRunningError) {
          // The other run is doing this config's work; not a failure of the schedule.
          logEvent(context, "warn", "sync.timer.skipped", { configId, runningRunId: error.runningRunId, reason: "already running" });
          continue;
        }
        const info = toErrorInfo(error);
        logEvent(context, "error", "sync.timer.run", { configId, status: "failed", code: info.code, kind: info.kind });
        failed.push(`${configId}: ${info.code}`);
      }
    }
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((line) => new Error(line)),
        `sync failed for ${failed.length} config(s): ${failed.join("; ")}`,
      );
    }
  };
  return { name: "syncTimer", options: { schedule: "%SYNC_SCHEDULE%", runOnStartup: false, handler } };
}
