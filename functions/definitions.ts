/** Every function of the app, as name + options, for the host (index.ts) and the local server alike. */
import type { AdminService } from "../shared/service.js";
import { createConsoleFunctions } from "./console.js";
import { createHttpFunctions, type HttpFunction } from "./syncHttp.js";
import { createTimerFunction, type TimerFunction } from "./syncTimer.js";

export interface FunctionDefinitions {
  readonly http: readonly HttpFunction[];
  readonly timer: TimerFunction;
}

export function functionDefinitions(getService: () => Promise<AdminService>): FunctionDefinitions {
  return { http: [...createHttpFunctions({ getService }), ...createConsoleFunctions({ getService })], timer: createTimerFunction(getService) };
}
