/** Every function of the app, as name + options, for the host (index.ts) and the local server alike. */
import type { SyncService } from "../shared/service.js";
import { createHttpFunctions, type HttpFunction } from "./syncHttp.js";
import { createTimerFunction, type TimerFunction } from "./syncTimer.js";

export interface FunctionDefinitions {
  readonly http: readonly HttpFunction[];
  readonly timer: TimerFunction;
}

export function functionDefinitions(getService: () => Promise<SyncService>): FunctionDefinitions {
  return { http: createHttpFunctions({ getService }), timer: createTimerFunction(getService) };
}
