/**
 * Echo suppression. A run that wrote reads its feeds once more to step past its own writes
 * (engine.ts), and a streamed feed brings a page's writes back later in the same pass. Such a
 * record, at the version its link got from the run's own write (apply.ts, writes.ts: the
 * version each write answered), is exactly as the run left it: nothing is read of it by id,
 * nothing paired or planned. A person's edit after that write gives the record a new version,
 * and it is processed as any other change (test/sync/echo.test.ts).
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
 * Only this run's links count: a link from an earlier run may predate a change of the config
 * (a newly mapped field), which a full read must still bring to every record.
 */
import type { Side } from "../core/types.js";
import type { RunContext } from "./context.js";

export function isEcho(ctx: RunContext, side: Side, id: string, version: string | undefined): boolean {
  if (version === undefined) return false;
  const link = ctx.links.savedByRun(side, id);
  // A record the run wrote and then unlinked (retired after its partner was deleted) comes back unlinked: as the run left it.
  if (!link) return ctx.links.unlinkedByRun(side, id) === version;
  if ((side === "meander" ? link.meanderVersion : link.portalVersion) !== version) return false;
  // A person's decision on the pair is applied whatever the version.
  return ctx.decisions.pendingResolution(link.meanderId, link.portalId) === undefined;
}
