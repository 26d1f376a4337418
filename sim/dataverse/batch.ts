/**
 * `POST $batch`: multipart/mixed with change sets, as OData 4 and Dataverse define it.
 * Operations run in order; a change set is atomic (a failing operation rolls back the
 * writes before it in the same change set); `Content-ID` references (`$1`) resolve
 * within a change set; without `Prefer: odata.continue-on-error` processing stops at the
 * first failure. Request line endings may be CRLF or LF; responses use CRLF.
 */
import { randomUUID } from "node:crypto";
import { DV, dvError, parseQuery, preferences, SimError, type SimRequest, type SimResponse, STATUS_TEXT } from "./http.js";
import type { Journal } from "./store.js";
import { handleOperation, type OperationOptions, type OperationResult, type WebApiContext } from "./webapi.js";

interface Operation {
  readonly contentId?: string;
  readonly request: SimRequest;
}

type Part = { readonly kind: "op"; readonly op: Operation } | { readonly kind: "changeset"; readonly ops: Operation[] };

class BatchSyntaxError extends Error {}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=("?)([^";]+)\1/i.exec(contentType ?? "");
  return match?.[2]?.trim();
}

/** Splits lines into the parts between `--boundary` lines, up to `--boundary--`. */
function splitParts(lines: readonly string[], boundary: string): string[][] {
  const parts: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) {
      if (current) parts.push(current);
      return parts;
    }
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current);
      current = [];
      continue;
    }
    current?.push(line);
  }
  throw new BatchSyntaxError("The batch body has no closing boundary.");
}

/** Header lines up to the first blank line; returns the headers and the index after the blank. */
function readHeaders(lines: readonly string[], from: number): { headers: Record<string, string>; next: number } {
  const headers: Record<string, string> = {};
  let i = from;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") return { headers, next: i + 1 };
    const colon = line.indexOf(":");
    if (colon <= 0) throw new BatchSyntaxError("Malformed header line in the batch body.");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, next: i };
}

/** `https://host/api/data/v9.2/contacts?x`, `/api/data/v9.2/contacts`, `contacts` or `$1` -> path below the API root. */
function apiPath(url: string): { path: string; search: string } {
  const q = url.indexOf("?");
  let path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? "" : url.slice(q + 1);
  path = path.replace(/^https?:\/\/[^/]+/i, "");
  const root = /^\/?api\/data\/v\d+(\.\d+)?\//i.exec(path);
  if (root) path = path.slice(root[0].length);
  return { path: decodeURIComponent(path.replace(/^\//, "")), search };
}

function parseOperation(lines: readonly string[], partHeaders: Record<string, string>): Operation {
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === "") i++;
  // Lenient about unencoded spaces in the URL: only the method and the protocol are fixed.
  const requestLine = /^([A-Z]+)\s+(.+?)(\s+HTTP\/\d\.\d)?\s*$/.exec(lines[i] ?? "");
  if (!requestLine) throw new BatchSyntaxError("Malformed request line in the batch body.");
  const { headers, next } = readHeaders(lines, i + 1);
  const body = lines.slice(next).join("\n").trim();
  const { path, search } = apiPath(requestLine[2]!);
  const contentId = partHeaders["content-id"] ?? headers["content-id"];
  return {
    ...(contentId ? { contentId } : {}),
    request: { method: requestLine[1]!, path, query: parseQuery(search), headers, body },
  };
}

export function parseBatch(body: string, boundary: string): Part[] {
  const lines = body.split(/\r?\n/);
  return splitParts(lines, boundary).map((partLines): Part => {
    const { headers, next } = readHeaders(partLines, 0);
    const inner = boundaryOf(headers["content-type"]);
    if (/^multipart\/mixed/i.test(headers["content-type"] ?? "") && inner) {
      const ops = splitParts(partLines.slice(next), inner).map((opLines) => {
        const opHeaders = readHeaders(opLines, 0);
        return parseOperation(opLines.slice(opHeaders.next), opHeaders.headers);
      });
      return { kind: "changeset", ops };
    }
    return { kind: "op", op: parseOperation(partLines.slice(next), headers) };
  });
}

function httpPart(response: SimResponse, contentId?: string): string {
  const lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"];
  if (contentId) lines.push(`Content-ID: ${contentId}`);
  lines.push("", `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? ""}`.trimEnd());
  for (const [name, value] of Object.entries(response.headers)) lines.push(`${name}: ${value}`);
  lines.push("", response.body ?? "");
  return lines.join("\r\n");
}

/** Answers an operation of the batch in place of running it (an injected part fault), or undefined to run it. */
export type PartFaultHook = (op: SimRequest) => SimResponse | undefined;

/** Executes a parsed batch; returns the multipart response. */
export async function executeBatch(ctx: WebApiContext, request: SimRequest, partFault: PartFaultHook = () => undefined): Promise<SimResponse> {
  const boundary = boundaryOf(request.headers["content-type"]);
  if (!boundary) return dvError(400, DV.badRequest, "The batch request must be multipart/mixed with a boundary.");
  let parts: Part[];
  try {
    parts = parseBatch(request.body, boundary);
  } catch (error) {
    if (error instanceof SimError) return error.toResponse();
    return dvError(400, DV.badRequest, error instanceof BatchSyntaxError ? error.message : "Malformed batch body.");
  }
  const operations = parts.reduce((n, part) => n + (part.kind === "op" ? 1 : part.ops.length), 0);
  if (operations > 1000) return dvError(400, DV.badRequest, "The batch contains more than 1000 operations.");

  const run = async (op: SimRequest, options?: OperationOptions): Promise<OperationResult> => {
    const fault = partFault(op);
    return fault ? { response: fault } : await handleOperation(ctx, op, options);
  };
  const continueOnError = preferences(request).has("odata.continue-on-error");
  const responseBoundary = `batchresponse_${randomUUID()}`;
  const chunks: string[] = [];
  let failed = false;
  for (const part of parts) {
    if (part.kind === "op") {
      ctx.counters.batchOperations += 1;
      const { response } = await run(part.op.request);
      chunks.push(httpPart(response));
      if (response.status >= 400) failed = true;
    } else {
      const journal: Journal = { undo: [] };
      const contentIds = new Map<string, string>();
      const results: string[] = [];
      let failure: SimResponse | undefined;
      for (const op of part.ops) {
        ctx.counters.batchOperations += 1;
        const { response, entityPath } = await run(op.request, { journal, contentIds });
        if (response.status >= 400) {
          failure = response;
          break;
        }
        if (op.contentId && entityPath) contentIds.set(op.contentId, entityPath);
        results.push(httpPart(response, op.contentId));
      }
      if (failure) {
        // The change set is one transaction: its earlier writes are undone and
        // Dataverse answers for it with the failing operation's response alone.
        ctx.store.rollback(journal);
        chunks.push(httpPart(failure));
        failed = true;
      } else {
        const changesetBoundary = `changesetresponse_${randomUUID()}`;
        const inner = results.map((r) => `--${changesetBoundary}\r\n${r}`).join("\r\n");
        chunks.push(`Content-Type: multipart/mixed; boundary=${changesetBoundary}\r\n\r\n${inner}\r\n--${changesetBoundary}--`);
      }
    }
    if (failed && !continueOnError) break;
  }
  const body = `${chunks.map((c) => `--${responseBoundary}\r\n${c}`).join("\r\n")}\r\n--${responseBoundary}--\r\n`;
  const headers: Record<string, string> = { "Content-Type": `multipart/mixed; boundary=${responseBoundary}`, "OData-Version": "4.0" };
  if (continueOnError) headers["Preference-Applied"] = "odata.continue-on-error";
  return { status: failed && !continueOnError ? 400 : 200, headers, body };
}
