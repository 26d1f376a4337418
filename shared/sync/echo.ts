/**
 * Echo suppression. A run's own writes come back through the feeds: later in the same pass (a
 * streamed feed brings a page's writes back further on), in the run's second pass when it has
 * one, or in the next run (engine.ts). Such a record, at the version its write answered (apply.ts,
 * writes.ts), is exactly as the service left it: nothing is read of it by id, nothing paired or
 * planned. A person's edit after that write gives the record a new version, and it is processed
 * as any other change (test/sync/echo.test.ts).
 *
 * Both sides answer a write with the record's new version: Meander's batch result carries it,
 * and Dataverse returns the written row with its `@odata.etag` when asked to (`Prefer:
 * return=representation`, shared/adapters/dataverse/write.ts; "Update with data returned",
 * https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#update-with-data-returned),
 * the same ETag its change-tracking rows carry
 * (https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems).
 * A write answered without a version leaves the link with the version read before it, which
 * never matches the echo: that record is processed as before, never skipped by mistake.
 *
 * Within a run, only this run's links count: a link from an earlier run may predate a change of
 * the config (a newly mapped field), which a full read must still bring to every record.
 *
 * Across runs: a run whose writes were few (`ECHO_MEMORY_LIMIT` per side) and all answered with a
 * version does not read its feeds a second time. It leaves what it wrote (record id -> version;
 * the records it deleted) in the control row with its cursors, and the next run, reading on from
 * those cursors, recognises the records at exactly those versions (`RememberedEchoes`), with no
 * link read either, then replaces the memory with its own or clears it. Nothing depends on the
 * memory: a record at another version is processed, a full read ignores it (the config may have
 * changed), a record a person's decision or the ledger brings back is processed whatever its
 * version, and a memory no run consumes only means those records are read and planned (no-ops).
 * A run with a write answered without a version (a Dataverse plug-in rewrote what was written)
 * keeps the second pass: that record must be read back and planned in the same run.
 */
import type { Side } from "../core/types.js";
import { SIDES } from "../core/types.js";
import type { ExpectedEchoes } from "../ports.js";
import type { RunContext } from "./context.js";

/** Records per side whose echoes a run remembers in the control row rather than reading its feeds again. */
export const ECHO_MEMORY_LIMIT = 300;
/** The memory's JSON at most: two of the row's 32 Ki-character properties, far below the entity's 1 MiB. */
const ECHO_MEMORY_MAX_CHARS = 60_000;

/** `fullRead`: the page is part of a full read of the side, where only this run's own writes count. */
export function isEcho(ctx: RunContext, side: Side, id: string, version: string | undefined, fullRead: boolean): boolean {
  if (version === undefined) return false;
  const link = ctx.links.savedByRun(side, id);
  if (!link) {
    // A record the run wrote and then unlinked (retired after its partner was deleted) comes back unlinked: as the run left it.
    const unlinked = ctx.links.unlinkedByRun(side, id);
    if (unlinked !== undefined) return unlinked === version;
    return !fullRead && ctx.remembered.version(side, id) === version;
  }
  if ((side === "meander" ? link.meanderVersion : link.portalVersion) !== version) return false;
  // A person's decision on the pair is applied whatever the version.
  return ctx.decisions.pendingResolution(link.meanderId, link.portalId) === undefined;
}

/** A deletion the last run made itself, coming back as a tombstone. */
export function isOwnTombstone(ctx: RunContext, side: Side, id: string, fullRead: boolean): boolean {
  return !fullRead && ctx.remembered.deletedByLastRun(side, id);
}

/**
 * What this run leaves for the next one instead of a second pass, or undefined when it must
 * read its feeds again: a write answered without a version, or more than the row should hold.
 */
export function echoesToRemember(ctx: RunContext): Partial<Record<Side, ExpectedEchoes>> | undefined {
  const limit = ctx.deps.echoMemoryLimit ?? ECHO_MEMORY_LIMIT;
  const expected = ctx.links.expectedEchoes();
  const memory: Partial<Record<Side, ExpectedEchoes>> = {};
  // A one-way config never reads the side it writes: nothing of that side comes back.
  for (const side of SIDES.filter((s) => s === ctx.stream || s === ctx.hold)) {
    if (ctx.links.unversionedWrites(side) > 0) return undefined;
    const { versions, deleted } = expected[side];
    const count = Object.keys(versions).length + deleted.length;
    if (count > limit) return undefined;
    if (count > 0) memory[side] = { ...(deleted.length < count ? { versions } : {}), ...(deleted.length > 0 ? { deleted } : {}) };
  }
  return JSON.stringify(memory).length <= ECHO_MEMORY_MAX_CHARS ? memory : undefined;
}
