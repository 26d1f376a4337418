/**
 * Load over real HTTP on the local functions server: twenty manual triggers and the timer
 * at once for one config; two configs at once; and a burst of history requests while a
 * run writes. The issue asks for 50 requests a second for a minute; the test keeps the
 * rate and shortens the minute to 3 seconds (150 requests) to stay quick.
 *
 * test/sync/lease.test.ts already proves one run out of twenty concurrent runSync calls
 * at the service; this goes through the HTTP handlers and the timer function.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { SyncResult } from "../../shared/core/types.js";
import { serve } from "./http.js";
import { exposedText, leaks, secretsOf } from "./leaks.js";
import { Summary } from "./summary.js";
import { audit, L, settle, smallDataset, startWorld, suiteSeed, type World } from "./world.js";

const FILE = "load.test.ts";
const seed = suiteSeed(FILE);
const summary = new Summary(FILE, seed);
const A = "activities";
const dataset = () => smallDataset(seed, { activitiesPerPerson: 1 });
/** Activities of a likeperson that is not linked (an open ambiguous match) wait in the ledger: that run is done too. */
const activitiesDone = (r: SyncResult) => r.status === "succeeded" || (r.status === "partial" && r.errors.every((e) => e.code === "LOOKUP_UNRESOLVED"));

/** Every Meander activity is in the portal exactly once, or in the activities ledger. */
async function activitiesAccounted(w: World): Promise<{ duplicates: number; dropped: number }> {
  const inPortal = w.dataverse.store.list("hlf_likepersonactivities").map((r) => String(r.hlf_meanderid));
  const ledger = new Set((await w.service.deps.state.listLedger(A)).map((e) => e.recordId));
  const duplicates = inPortal.length - new Set(inPortal).size;
  const dropped = w.meander.store.list("activities").filter((a) => !inPortal.includes(a.id) && !ledger.has(a.id)).length;
  return { duplicates, dropped };
}

async function leakCount(w: World): Promise<number> {
  const found = leaks(`${await exposedText(w, L)}\n${await exposedText(w, A)}`, await secretsOf(w));
  return found.count;
}

describe("load", () => {
  afterAll(() => summary.write());

  it("twenty manual triggers and the timer at once: one run of the config, the others 409 naming it", async () => {
    const w = await startWorld(dataset());
    const s = await serve(w);
    try {
      const posts = Array.from({ length: 20 }, () => s.call("POST", `/api/sync/${L}/runs`));
      const timer = s.server.fireTimer().then(
        () => "ok",
        () => "failed",
      );
      const answers = await Promise.all(posts);
      expect(await timer).toBe("ok");
      const runs = await w.service.getSyncHistory(L, 50);
      const timerRan = w.logs.some((l) => l.includes('"sync.timer.run"') && l.includes(`"configId":"${L}"`));
      const ok = answers.filter((a) => a.status === 200).length;
      const conflicts = answers.filter((a) => a.status === 409);
      expect(ok + (timerRan ? 1 : 0)).toBe(1);
      expect(conflicts).toHaveLength(20 - ok);
      expect(runs).toHaveLength(1);
      for (const c of conflicts) expect(JSON.parse(c.text).error.runningRunId).toBe(runs[0]!.runId);
      await settle(w, L);
      await settle(w, A, 6, activitiesDone);
      const state = await audit(w);
      const acts = await activitiesAccounted(w);
      const leaked = await leakCount(w);
      const fiveHundreds = answers.filter((a) => a.status >= 500).length;
      summary.add("load", "20 manual triggers + the timer, one config", {
        ok: state.duplicates + state.dropped + state.lostEdits + acts.duplicates + acts.dropped + leaked + fiveHundreds === 0,
        duplicates: state.duplicates + acts.duplicates,
        dropped: state.dropped + acts.dropped,
        lostEdits: state.lostEdits,
        leakedCanaries: leaked,
        fiveHundreds,
        runsStarted: runs.length,
        answered409: conflicts.length,
      });
      expect({ ...state, ...acts, leaked, fiveHundreds }).toMatchObject({ duplicates: 0, dropped: 0, lostEdits: 0, leaked: 0, fiveHundreds: 0 });
    } finally {
      await s.server.close();
      await w.close();
    }
  });

  it("two configs at once: both run, and activities whose likeperson was not linked yet wait in the ledger", async () => {
    const w = await startWorld(dataset());
    const s = await serve(w);
    try {
      const [likepersons, activities] = await Promise.all([s.call("POST", `/api/sync/${L}/runs`), s.call("POST", `/api/sync/${A}/runs`)]);
      expect([likepersons.status, activities.status]).toEqual([200, 200]);
      const first = { l: JSON.parse(likepersons.text).status, a: JSON.parse(activities.text).status };
      await settle(w, L);
      await settle(w, A, 6, activitiesDone);
      const state = await audit(w);
      const acts = await activitiesAccounted(w);
      const leaked = await leakCount(w);
      summary.add("load", "two configs at once", {
        ok: state.duplicates + state.dropped + state.lostEdits + acts.duplicates + acts.dropped + leaked === 0,
        duplicates: state.duplicates + acts.duplicates,
        dropped: state.dropped + acts.dropped,
        lostEdits: state.lostEdits,
        leakedCanaries: leaked,
        fiveHundreds: 0,
        firstRuns: `${first.l}/${first.a}`,
      });
      expect({ ...state, ...acts, leaked }).toMatchObject({ duplicates: 0, dropped: 0, lostEdits: 0, leaked: 0 });
    } finally {
      await s.server.close();
      await w.close();
    }
  });

  it("50 history requests a second for 3 s while a run writes: all answered 200, none 5xx", async () => {
    // Latency makes the first run last long enough to be writing during the burst.
    const w = await startWorld(dataset(), { dataverse: { latencyMs: 15 }, meander: { latencyMs: 15 } });
    const s = await serve(w);
    try {
      const run = s.call("POST", `/api/sync/${L}/runs`);
      const burst: Promise<{ status: number; ms: number }>[] = [];
      for (let i = 0; i < 150; i++) {
        burst.push(s.call("GET", `/api/sync/${L}/runs?limit=5`));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const answers = await Promise.all(burst);
      const done = await run;
      const during = w.dataverse.counters().recordsWritten + w.meander.counters().recordsWritten;
      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      const p95 = Math.round(ms[Math.floor(ms.length * 0.95)] ?? 0);
      const fiveHundreds = answers.filter((a) => a.status >= 500).length;
      const leaked = await leakCount(w);
      summary.add("load", "150 history requests at 50/s during a run", {
        ok: fiveHundreds === 0 && answers.every((a) => a.status === 200) && done.status === 200 && leaked === 0,
        fiveHundreds,
        requests: answers.length,
        p95Ms: p95,
        leakedCanaries: leaked,
        recordsWrittenByTheRun: during,
      });
      expect(answers.map((a) => a.status).filter((x) => x !== 200)).toEqual([]);
      expect(done.status).toBe(200);
      expect(JSON.parse(done.text).status).toBe("succeeded");
      expect(during).toBeGreaterThan(0);
      expect(leaked).toBe(0);
    } finally {
      await s.server.close();
      await w.close();
    }
  });
});
