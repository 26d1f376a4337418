/**
 * Invocation-level log lines: an event name and a JSON object of ids, codes and counts,
 * so KQL can `parse_json` them out of `traces.message`. Never a body, never a value.
 */
import type { InvocationContext } from "@azure/functions";
import type { LogProperties } from "../../shared/ports.js";

export type LogLevel = "info" | "warn" | "error";

export function logEvent(context: InvocationContext, level: LogLevel, event: string, properties: LogProperties): void {
  const defined = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
  context[level](`${event} ${JSON.stringify(defined)}`);
}
