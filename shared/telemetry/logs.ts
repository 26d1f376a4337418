/**
 * The log bridge: the app's Logger as OpenTelemetry log records, so Application Insights shows
 * the message in `traces.message` and every property as `customDimensions.<name>` (runId,
 * configId, codes, counts), correlated with the run span that was active.
 */
import { type AnyValueMap, logs, SeverityNumber } from "@opentelemetry/api-logs";
import type { Logger, LogProperties } from "../ports.js";

const SEVERITY = {
  info: [SeverityNumber.INFO, "INFO"],
  warn: [SeverityNumber.WARN, "WARN"],
  error: [SeverityNumber.ERROR, "ERROR"],
} as const;

export function createOtelLogger(): Logger {
  const logger = logs.getLogger("meander-hlf-sync");
  const emit =
    (level: keyof typeof SEVERITY) =>
    (message: string, properties: LogProperties = {}) => {
      const attributes: AnyValueMap = {};
      for (const [key, value] of Object.entries(properties)) if (value !== undefined) attributes[key] = value;
      const [severityNumber, severityText] = SEVERITY[level];
      logger.emit({ severityNumber, severityText, body: message, attributes });
    };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** Both loggers at once (tests read the lines while the exporter sees the records). */
export function teeLogger(...loggers: readonly Logger[]): Logger {
  return {
    info: (m, p) => {
      for (const l of loggers) l.info(m, p);
    },
    warn: (m, p) => {
      for (const l of loggers) l.warn(m, p);
    },
    error: (m, p) => {
      for (const l of loggers) l.error(m, p);
    },
  };
}
