/** functions/index.ts registers every definition with the host, as func start and Azure load it. */
import { expect, test, vi } from "vitest";

const registered = vi.hoisted(() => ({
  http: [] as [string, { route?: string; authLevel?: string; methods?: string[] }][],
  timer: [] as [string, { schedule: string; runOnStartup?: boolean }][],
}));

vi.mock("@azure/functions", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@azure/functions")>();
  return {
    ...actual,
    app: {
      ...actual.app,
      http: (name: string, options: (typeof registered.http)[number][1]) => registered.http.push([name, options]),
      timer: (name: string, options: (typeof registered.timer)[number][1]) => registered.timer.push([name, options]),
    },
  };
});

test("the entry point registers the admin routes, the console and the timer", async () => {
  await import("../../functions/index.js");
  expect(registered.http.map(([name, o]) => [name, o.route, o.authLevel])).toEqual([
    ["syncConfigs", "sync/configs", "function"],
    ["syncCheck", "sync/{configId}/check", "function"],
    ["syncRuns", "sync/{configId}/runs", "function"],
    ["syncRun", "sync/{configId}/runs/{runId}", "function"],
    ["syncConflicts", "sync/{configId}/conflicts", "function"],
    ["syncConflictResolution", "sync/{configId}/conflicts/{conflictId}/resolution", "function"],
    ["syncOverview", "sync/{configId}/overview", "function"],
    ["syncLedger", "sync/{configId}/ledger", "function"],
    // The review console: anonymous to the host, gated by the signed-in admin (functions/http/session.ts).
    ["consolePage", "console", "anonymous"],
    ["consoleAsset", "console/assets/{file}", "anonymous"],
    ["consoleSyncConfigs", "console/api/sync/configs", "anonymous"],
    ["consoleSyncCheck", "console/api/sync/{configId}/check", "anonymous"],
    ["consoleSyncRuns", "console/api/sync/{configId}/runs", "anonymous"],
    ["consoleSyncRun", "console/api/sync/{configId}/runs/{runId}", "anonymous"],
    ["consoleSyncConflicts", "console/api/sync/{configId}/conflicts", "anonymous"],
    ["consoleSyncConflictResolution", "console/api/sync/{configId}/conflicts/{conflictId}/resolution", "anonymous"],
    ["consoleSyncOverview", "console/api/sync/{configId}/overview", "anonymous"],
    ["consoleSyncLedger", "console/api/sync/{configId}/ledger", "anonymous"],
  ]);
  expect(registered.timer).toEqual([["syncTimer", expect.objectContaining({ schedule: "%SYNC_SCHEDULE%", runOnStartup: false })]]);
});
