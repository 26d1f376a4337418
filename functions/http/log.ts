/**
 * Invocation-level log lines in the same shape as the engine's (shared/logging.ts): one
 * JSON object per line, so KQL reads the properties with `parse_json(message)`.
 * Ids, codes, statuses and durations only: never a body, never a value.
 */
import type { InvocationContext } from "@azure/functions";
import type { LogProperties } from "../../shared/ports.js";

export type LogLevel = "info" | "warn" | "error";

export function logEvent(context: InvocationContext, level: LogLevel, event: string, properties: LogProperties): void {
  context[level](JSON.stringify({ level, message: event, invocationId: context.invocationId, ...properties }));
}
