/**
 * Writes through $batch with `Prefer: odata.continue-on-error`: every operation
 * is its own part (no change set), so a failing record fails alone and the others
 * are applied. Updates and deletes carry If-Match; a 412 is that record's error.
 */
import { ExponentialBackoff, halfJitterGenerator, type IBackoff } from "cockatiel";
import type { DynamicsWebApi } from "dynamics-web-api";
import { FatalError, RecordError, type SyncError, TransientError } from "../../errors.js";
import type { WriteOp, WriteOutcome } from "../../ports.js";
import type { DataverseClient } from "./client.js";
import { mapDataverseError } from "./errors.js";
import { isGuid } from "./odata.js";
import type { EntitySettings } from "./read.js";
import { reconcile } from "./reconcile.js";
import { keySegment, resolveLookups } from "./upsert.js";

type PartResult = { readonly ok: true; readonly id: string; readonly version?: string } | { readonly ok: false; readonly error: SyncError };

/** Rounds for parts that failed transiently inside an otherwise answered batch. */
const PART_ROUNDS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The waits between rounds of one batch when no part said how long: exponential, with
 * half jitter rather than the policy's decorrelated jitter, so even the first wait is at
 * least half the base delay and a failed part is never sent again at once.
 */
class RoundBackoff {
  private step: IBackoff<unknown> | undefined;
  private readonly factory: ExponentialBackoff<unknown>;

  constructor(delays: { readonly baseDelayMs: number; readonly maxDelayMs: number }) {
    this.factory = new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: delays.baseDelayMs, maxDelay: delays.maxDelayMs });
  }

  next(): number {
    this.step = this.step ? this.step.next(undefined) : this.factory.next();
    return this.step.duration;
  }
}

const opLabel = (collection: string, op: WriteOp) => `${op.op} ${collection}${op.op === "create" ? ` (ref ${op.ref})` : ` ${op.id}`}`;

/** Checks what the client library would otherwise reject (and so drop from the batch). */
function invalid(op: WriteOp, collection: string): SyncError | undefined {
  if (op.op !== "create" && !isGuid(op.id)) return new RecordError("INVALID_ID", `${op.op} ${collection}: id is not a GUID`);
  if (op.op !== "delete" && (typeof op.data !== "object" || op.data === null)) return new RecordError("INVALID_DATA", `${opLabel(collection, op)}: no data`);
  return undefined;
}

/** Adds one op to the open batch. Must run synchronously between startBatch and executeBatch. */
function queue(api: DynamicsWebApi, collection: string, entity: EntitySettings, op: WriteOp): Promise<unknown> {
  // The record comes back in the same response part: no extra request for its new ETag, and
  // the written columns as stored, so a plug-in's rewrite is seen (partResult).
  const representation = { returnRepresentation: true, select: [entity.idField, ...(op.op === "delete" ? [] : writtenColumns(op.data))] };
  if (op.op === "create") {
    const key = keySegment(op, entity);
    if (key) return api.upsert({ collection, key, data: { ...op.data }, ...representation });
    return api.create({ collection, data: { ...op.data }, ...representation });
  }
  if (op.op === "update") {
    return api.update({ collection, key: op.id, data: { ...op.data }, ifmatch: op.ifMatch ?? "*", ...representation });
  }
  return api.deleteRecord({ collection, key: op.id, ...(op.ifMatch ? { ifmatch: op.ifMatch } : {}) });
}

/** Plain columns of a write (lookups bound with `@odata.bind` are not selectable by that name). */
const writtenColumns = (data: Readonly<Record<string, unknown>>) => Object.keys(data).filter((c) => !c.includes("@"));

const sameValue = (stored: unknown, sent: unknown) =>
  stored === sent || (stored == null && sent == null) || (stored != null && sent != null && typeof stored !== "object" && String(stored) === String(sent));

function partResult(response: unknown, op: WriteOp, collection: string, entity: EntitySettings): PartResult {
  if (response instanceof Error) {
    const error = mapDataverseError(response, opLabel(collection, op));
    // Deleting what is already gone is the outcome we wanted.
    if (op.op === "delete" && error.status === 404) return { ok: true, id: op.id };
    return { ok: false, error };
  }
  if (response && typeof response === "object") {
    const row = response as Record<string, unknown>;
    const id = row[entity.idField];
    const etag = row["@odata.etag"];
    const resolved = typeof id === "string" ? id : op.op === "create" ? undefined : op.id;
    if (!resolved) return { ok: false, error: new RecordError("NO_ID", `${opLabel(collection, op)}: no id in the response`) };
    // A record stored otherwise than written (a synchronous plug-in rewrote a column) is not as
    // the service left it: without the version, its echo is read back and planned like any change,
    // in the same run (the run keeps its second pass over the feeds, shared/sync/engine.ts).
    const asWritten = op.op === "delete" || writtenColumns(op.data).every((c) => sameValue(row[c], op.data[c]));
    return { ok: true, id: resolved, ...(typeof etag === "string" && asWritten ? { version: etag } : {}) };
  }
  // 204 without a body: the client returns the id from OData-EntityId (creates) or `true`.
  if (typeof response === "string" && isGuid(response)) return { ok: true, id: response };
  if (op.op !== "create") return { ok: true, id: op.id };
  return { ok: false, error: new RecordError("NO_ID", `${opLabel(collection, op)}: no id in the response`) };
}

/** The answers of one batch, or `lost` when it went out and no answer came back. */
async function sendBatch(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  round: number,
): Promise<PartResult[] | "lost"> {
  const context = `batch of ${ops.length} writes to ${collection}`;
  return client.call<PartResult[] | "lost">(
    context,
    async (api, signal) => {
      api.startBatch();
      const queued = ops.map((op) => queue(api, collection, entity, op));
      let responses: unknown;
      try {
        responses = await api.executeBatch({ continueOnError: true, inChangeSet: false, signal });
      } catch (error) {
        // A batch answered with an error status but per-part bodies arrives as an array.
        if (!Array.isArray(error)) throw error;
        responses = error;
      } finally {
        await Promise.allSettled(queued);
      }
      if (!Array.isArray(responses) || responses.length !== ops.length) {
        throw new FatalError("BATCH_MISMATCH", `batch to ${collection}: ${ops.length} parts sent, ${Array.isArray(responses) ? responses.length : 0} answered`);
      }
      return ops.map((op, i) => partResult(responses[i], op, collection, entity));
    },
    undefined,
    {
      onLostAnswer: (code) => {
        client.noteLostAnswer(context, round, code);
        return "lost";
      },
    },
  );
}

const lostAnswer = (collection: string, op: WriteOp) => new TransientError("ANSWER_LOST", `${opLabel(collection, op)}: no answer after several tries`);

/** Records what a lost batch did apply; returns the ops to send again. */
async function settleLost(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  pageSize: number,
  outcomes: Map<string, WriteOutcome>,
): Promise<WriteOp[]> {
  const settled = await reconcile(client, collection, entity, ops, pageSize);
  const again: WriteOp[] = [];
  settled.forEach((result, i) => {
    const op = ops[i]!;
    if ("resend" in result) again.push(op);
    else if (result.ok) outcomes.set(op.ref, { ref: op.ref, ...result });
    else outcomes.set(op.ref, { ref: op.ref, ok: false, error: result.error.toInfo() });
  });
  return again;
}

/**
 * One batch: sends, then re-sends only the parts that failed transiently, after the
 * Retry-After they carried (through the throttle gate: every call waits, as Dataverse
 * asks of a throttled user) or else after a backoff. A part that failed for its record
 * (400, 412, a plug-in's or duplicate detection's 500) is that record's outcome at once.
 */
async function writeBatch(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  pageSize: number,
): Promise<Map<string, WriteOutcome>> {
  const outcomes = new Map<string, WriteOutcome>();
  let pending: WriteOp[] = [];
  for (const op of ops) {
    const problem = invalid(op, collection);
    if (problem) outcomes.set(op.ref, { ref: op.ref, ok: false, error: problem.toInfo() });
    else pending.push(op);
  }
  const backoff = new RoundBackoff(client.backoff);
  for (let round = 1; pending.length; round++) {
    let results: PartResult[];
    try {
      const answer = await sendBatch(client, collection, entity, pending, round);
      if (answer === "lost") {
        pending = await settleLost(client, collection, entity, pending, pageSize, outcomes);
        if (round < PART_ROUNDS) {
          if (pending.length) await sleep(backoff.next());
          continue;
        }
        for (const op of pending) outcomes.set(op.ref, { ref: op.ref, ok: false, error: lostAnswer(collection, op).toInfo() });
        break;
      }
      results = answer;
    } catch (error) {
      // The whole batch stayed unanswered after the retries: each record goes to the ledger; fatal errors stop the run.
      if (!(error instanceof TransientError)) throw error;
      for (const op of pending) outcomes.set(op.ref, { ref: op.ref, ok: false, error: error.toInfo() });
      break;
    }
    const again: WriteOp[] = [];
    let waitMs = 0;
    let cause = "";
    results.forEach((result, i) => {
      const op = pending[i]!;
      if (result.ok) outcomes.set(op.ref, { ref: op.ref, ...result });
      else if (result.error instanceof TransientError && round < PART_ROUNDS) {
        again.push(op);
        // The longest Retry-After decides the wait, and names the cause.
        const asked = result.error.retryAfterMs ?? 0;
        if (!cause || asked > waitMs) cause = result.error.code;
        waitMs = Math.max(waitMs, asked);
      } else outcomes.set(op.ref, { ref: op.ref, ok: false, error: result.error.toInfo() });
    });
    pending = again;
    if (!again.length) continue;
    if (waitMs > 0) {
      client.noteRetry(round, waitMs, cause);
      client.throttledFor(waitMs);
    } else {
      const delay = backoff.next();
      client.noteRetry(round, delay, cause);
      await sleep(delay);
    }
  }
  return outcomes;
}

export async function writeOps(
  client: DataverseClient,
  collection: string,
  entity: EntitySettings,
  ops: readonly WriteOp[],
  sizes: { readonly batchSize: number; readonly pageSize: number },
): Promise<WriteOutcome[]> {
  const refs = new Set<string>();
  for (const op of ops) {
    if (refs.has(op.ref)) throw new FatalError("DUPLICATE_REF", `write to ${collection}: ref ${op.ref} is used twice`);
    refs.add(op.ref);
  }
  const { ops: resolved, failed } = await resolveLookups(client, collection, entity, ops, sizes.pageSize);
  const batches: WriteOp[][] = [];
  for (let i = 0; i < resolved.length; i += sizes.batchSize) batches.push(resolved.slice(i, i + sizes.batchSize));
  const results = await Promise.all(batches.map((batch) => writeBatch(client, collection, entity, batch, sizes.pageSize)));
  const outcomes = new Map<string, WriteOutcome>(failed.map((outcome) => [outcome.ref, outcome]));
  for (const map of results) for (const [ref, outcome] of map) outcomes.set(ref, outcome);
  return ops.map((op) => outcomes.get(op.ref)!);
}
