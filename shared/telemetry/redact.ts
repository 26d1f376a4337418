/**
 * Keeps personal data out of dependency spans. A lookup by match key puts the value in the
 * query string (Dataverse `$filter=emailaddress1 eq '…'`), and the HTTP instrumentations copy
 * the full URL into the span; this processor cuts every query string before the span is
 * exported. Paths keep only ids (GUIDs, Meander ids, alternate keys of ids).
 */
import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Attributes that may hold a URL or its query (old and new HTTP semantic conventions, Azure SDK). */
const URL_KEYS = ["http.url", "url.full", "http.target", "url.query", "az.service_request_id"];

export function stripQuery(value: string): string {
  const i = value.indexOf("?");
  return i < 0 ? value : `${value.slice(0, i)}?…`;
}

export class QueryRedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    for (const key of URL_KEYS) {
      const value = span.attributes[key];
      if (typeof value !== "string") continue;
      // url.query has no "?" of its own.
      span.setAttribute(key, key === "url.query" ? "…" : stripQuery(value));
    }
  }

  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
