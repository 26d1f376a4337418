/** Scheduled misbehaviour for the Meander simulator: the next N matching requests fail in a chosen way. */

export type RequestKind = "changes" | "batch" | "lookup" | "records";

export interface FaultSpec {
  /** Answer with this status (problem details). */
  status?: number;
  /** With `status`: send Retry-After and refuse earlier requests as the rate limiter does. */
  retryAfterSeconds?: number;
  /** With `status`: extra problem-details members, e.g. a careless server's detail text. */
  problem?: Record<string, unknown>;
  /** Close the connection without an answer: before processing (true), or after the request took effect. */
  drop?: boolean | "afterProcessing";
  /** Hold the request this long first (then fail or serve it as usual). */
  delayMs?: number;
  /** Change feed only: serve the previous changes response of the entity again. */
  duplicatePage?: boolean;
  /** Which requests: a kind, or a predicate; all requests when omitted. */
  match?: RequestKind | ((request: { method: string; path: string; kind: RequestKind }) => boolean);
}

interface Pending {
  remaining: number;
  spec: FaultSpec;
}

export class Faults {
  private pending: Pending[] = [];

  failNext(count: number, spec: FaultSpec = { status: 500 }): void {
    if (count > 0) this.pending.push({ remaining: count, spec });
  }

  clear(): void {
    this.pending = [];
  }

  /** The fault for this request, if any; consumes one use of it. */
  take(request: { method: string; path: string; kind: RequestKind }): FaultSpec | undefined {
    const found = this.pending.find(({ spec: { match } }) =>
      match === undefined ? true : typeof match === "function" ? match(request) : match === request.kind,
    );
    if (!found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.pending = this.pending.filter((p) => p !== found);
    return found.spec;
  }
}
