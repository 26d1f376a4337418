/**
 * Operators' log lines: one JSON object per line, so Application Insights keeps the
 * properties queryable (`traces | extend d = parse_json(message)`). Callers pass ids,
 * codes and counts only, never personal data.
 */
import type { Logger, LogProperties } from "./ports.js";

export type LogLevel = "info" | "warn" | "error";

export function createJsonLogger(write: (level: LogLevel, line: string) => void = defaultWrite): Logger {
  const emit =
    (level: LogLevel) =>
    (message: string, properties: LogProperties = {}) =>
      write(level, JSON.stringify({ level, message, ...properties }));
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.info(line);
}
