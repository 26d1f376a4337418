/**
 * Links written before baselines were fingerprinted hold member data in plain text. The planner
 * rewrites such a link whenever its pair changes, but a member who never changes again would keep
 * theirs for ever: so the first run of a config that has a fingerprint key reads all its links
 * once, under its lease and before its passes, and rewrites the plain ones. The control row then
 * remembers it, and later runs skip the scan.
 */
import { fingerprintBaseline, hasPlainValues } from "../core/fingerprint.js";
import type { Link } from "../core/types.js";
import type { RunContext } from "./context.js";

/** Links per write (the store splits them into transactions per partition); the lease is renewed between writes. */
const CHUNK = 500;

export async function sweepPlainBaselines(ctx: RunContext): Promise<void> {
  const fingerprint = ctx.deps.baselineFingerprint;
  if (ctx.dryRun || !fingerprint || ctx.lease.baselinesFingerprinted) return;
  let rewritten = 0;
  let chunk: Link[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await ctx.lease.ensureLease();
    await ctx.deps.state.putLinks(ctx.configId, chunk);
    rewritten += chunk.length;
    chunk = [];
  };
  for await (const link of ctx.deps.state.listLinks(ctx.configId)) {
    if (!hasPlainValues(link.baseline)) continue;
    chunk.push({ ...link, baseline: fingerprintBaseline(fingerprint, ctx.configId, link.baseline) });
    if (chunk.length >= CHUNK) {
      ctx.lease.checkBudget();
      await flush();
    }
  }
  await flush();
  ctx.lease.markBaselinesFingerprinted(ctx.deps.clock.now());
  if (rewritten > 0) ctx.tracker.note(`${rewritten} links written before baselines were fingerprinted: their baselines are fingerprints now`);
}
