/**
 * A reader for the KQL in infra/ and the README: the tables, customDimensions keys, telemetry
 * names, statuses and error codes a query reads, checked against shared/telemetry/names.ts —
 * the list the exporter tests prove the telemetry emits.
 */
import { ALERTED_ERROR_CODES, COLUMNS, DIMENSIONS, METRICS, RUN_SPAN, RUN_STATUSES, TABLES } from "../../shared/telemetry/names.js";

/** Names a `requests` row can carry besides ours: the function names. */
export function queryProblems(query: string, functionNames: readonly string[]): string[] {
  const q = query.replace(/\/\/[^\n]*/g, "");
  const problems: string[] = [];
  const lets = [...q.matchAll(/\blet\s+(\w+)\s*=/g)].map((m) => m[1]!);
  // Sources: what starts a statement (a line not continuing a pipe) or follows "let x =".
  const sources = [
    ...[...q.matchAll(/(?:^|;)\s*([A-Za-z_]\w*)\s*$/gm)].map((m) => m[1]!),
    ...[...q.matchAll(/\blet\s+\w+\s*=\s*([A-Za-z_]\w*)/g)].map((m) => m[1]!),
    ...[...q.matchAll(/^\s*union\s+([\w\s,]+)$/gm)].flatMap((m) => m[1]!.split(",").map((t) => t.trim())),
  ].filter((s) => s !== "let" && s !== "union");
  if (sources.length === 0) problems.push("no table");
  for (const s of sources) if (!(TABLES as readonly string[]).includes(s) && !lets.includes(s)) problems.push(`table ${s}`);
  for (const m of q.matchAll(/customDimensions(?:\.([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g)) {
    const key = m[1] ?? m[2]!;
    if (!DIMENSIONS.includes(key)) problems.push(`customDimensions.${key}`);
  }
  const names = new Set<string>([RUN_SPAN, ...Object.values(METRICS), ...functionNames]);
  for (const value of comparedWith(q, "name")) if (!names.has(value)) problems.push(`name "${value}"`);
  const statuses = new Set<string>(RUN_STATUSES);
  for (const value of comparedWith(q, "status")) if (!statuses.has(value)) problems.push(`status "${value}"`);
  for (const m of q.matchAll(/\bhas\s+"([A-Z_]+)"/g)) if (!(ALERTED_ERROR_CODES as readonly string[]).includes(m[1]!)) problems.push(`code ${m[1]}`);
  // Bare standard columns of the tables (after a pipe operator's first word) must be real ones.
  for (const m of q.matchAll(/\b(timestamp|duration|success|resultCode|target|operation_\w+|cloud_\w+|value\w*|severity\w*)\b/g)) {
    if (!(COLUMNS as readonly string[]).includes(m[1]!)) problems.push(`column ${m[1]}`);
  }
  return problems;
}

/** String literals a column (or `tostring(customDimensions.<column>)`) is compared with by ==, != or in (...). */
function comparedWith(q: string, column: string): string[] {
  const subject = `(?:\\b${column}|tostring\\(customDimensions\\.${column}\\))`;
  const values: string[] = [];
  for (const m of q.matchAll(new RegExp(`${subject}\\s*(?:==|!=|=~)\\s*"([^"]*)"`, "g"))) values.push(m[1]!);
  for (const m of q.matchAll(new RegExp(`${subject}\\s*!?in\\s*\\(([^)]*)\\)`, "g"))) for (const v of m[1]!.matchAll(/"([^"]*)"/g)) values.push(v[1]!);
  return values;
}
