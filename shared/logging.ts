/**
 * Operators' log lines. With Application Insights (shared/telemetry/setup.ts started) each line is
 * an OpenTelemetry log record: the message in `traces.message`, every property a
 * `customDimensions` entry. Without it (locally, in tests) one JSON object per line in the
 * terminal, as readable as before. Callers pass ids, codes and counts only, never personal data.
 */
import type { Logger, LogProperties } from "./ports.js";
import { createOtelLogger } from "./telemetry/logs.js";
import { telemetryStarted } from "./telemetry/setup.js";

export type LogLevel = "info" | "warn" | "error";

export function createJsonLogger(write: (level: LogLevel, line: string) => void = defaultWrite): Logger {
  const emit =
    (level: LogLevel) =>
    (message: string, properties: LogProperties = {}) =>
      write(level, JSON.stringify({ level, message, ...properties }));
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** The process's logger: log records once telemetry runs, terminal lines otherwise. */
export function createProcessLogger(): Logger {
  return telemetryStarted() ? createOtelLogger() : createJsonLogger();
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.info(line);
}
