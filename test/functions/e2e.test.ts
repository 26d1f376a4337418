/**
 * The admin API and the timer end to end on real parts: the composition root's service
 * (real adapters, Key Vault included) against the Dataverse and Meander simulators and
 * the test run's Azurite, served by the local functions server exactly as `npm start` does.
 */
import { randomBytes } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { functionDefinitions } from "../../functions/definitions.js";
import { type LocalFunctionsServer, serveFunctions } from "../../scripts/serve.js";
import { type ComposedService, createService, getService, setServiceForProcess } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import type { SyncResult } from "../../shared/core/types.js";
import { createJsonLogger } from "../../shared/logging.js";
import type { ConflictRecord } from "../../shared/ports.js";
import { type StandIns, startStandIns } from "../../sim/stack.js";
import { checkResponse } from "./openapi.js";

let standIns: StandIns;
let service: ComposedService;
let server: LocalFunctionsServer;
const logs: string[] = [];
/** While set, runs wait before advancing their cursors (holding the config's lease). */
let gate: { reached: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  standIns = await startStandIns({
    dataset: { seed: 11, people: 30, overlap: 0.7, conflictingShare: 0.3, ambiguousShare: 0.1, activitiesPerPerson: 1, canaries: 2 },
  });
  const env = {
    ...standIns.settings,
    KEY_VAULT_URL: standIns.dataverse.keyVaultUrl,
    AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING,
    SYNC_TABLE_PREFIX: `f${randomBytes(5).toString("hex")}`,
  };
  service = await createService(loadSettings(env), {
    logger: createJsonLogger((_level, line) => logs.push(line)),
    pause: async (point) => {
      if (point !== "before-cursors" || !gate) return;
      gate.reached();
      await gate.release;
    },
  });
  setServiceForProcess(Promise.resolve(service));
  server = await serveFunctions({ definitions: functionDefinitions(getService), port: 0, log: (_level, _fn, line) => logs.push(line) });
});

afterAll(async () => {
  await server?.close();
  setServiceForProcess(undefined);
  await standIns?.close();
});

/** One request through the local server; the answer is checked against api/admin.openapi.yaml. */
async function api<T = unknown>(method: string, path: string, docPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}/api/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T;
  checkResponse(docPath, method, response.status, json);
  return { status: response.status, body: json };
}

const RUNS = "/sync/{configId}/runs";
const CONFLICTS = "/sync/{configId}/conflicts";
const RESOLUTION = "/sync/{configId}/conflicts/{conflictId}/resolution";

describe("the admin API on the real service", () => {
  test("configs", async () => {
    const r = await api<{ configs: { id: string }[] }>("GET", "sync/configs", "/sync/configs");
    expect(r.body.configs.map((c) => c.id).sort()).toEqual(["activities", "likepersons"]);
  });

  test("a dry run plans and writes nothing", async () => {
    const contacts = standIns.dataverse.store.list("contacts").length;
    const likepersons = standIns.meander.store.list("likepersons").length;
    const r = await api<SyncResult>("POST", "sync/likepersons/runs", RUNS, { dryRun: true });
    expect(r.status).toBe(200);
    expect(r.body.dryRun).toBe(true);
    expect(r.body.plan!.creates.length).toBeGreaterThan(0);
    expect(standIns.dataverse.store.list("contacts")).toHaveLength(contacts);
    expect(standIns.meander.store.list("likepersons")).toHaveLength(likepersons);
  });

  test("a real run, then its history and detail", async () => {
    const run = await api<SyncResult>("POST", "sync/likepersons/runs", RUNS);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ configId: "likepersons", trigger: "manual", dryRun: false });
    expect(["succeeded", "partial"]).toContain(run.body.status);
    expect(run.body.counts.portal.created + run.body.counts.meander.created).toBeGreaterThan(0);
    const history = await api<{ runs: SyncResult[] }>("GET", "sync/likepersons/runs?limit=5", RUNS);
    expect(history.body.runs[0]?.runId).toBe(run.body.runId);
    const detail = await api<SyncResult>("GET", `sync/likepersons/runs/${run.body.runId}`, "/sync/{configId}/runs/{runId}");
    expect(detail.body).toMatchObject({ runId: run.body.runId, status: run.body.status });
    const missing = await api("GET", "sync/likepersons/runs/r000000000zzzzzzzz", "/sync/{configId}/runs/{runId}");
    expect(missing.status).toBe(404);
  });

  test("a second run while one holds the config: 409 with the holder's run id", async () => {
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    gate = { reached, release: released };
    const first = api<SyncResult>("POST", "sync/likepersons/runs", RUNS);
    await atGate;
    const second = await api<{ error: { code: string; runningRunId: string } }>("POST", "sync/likepersons/runs", RUNS);
    gate = undefined;
    release();
    const done = await first;
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("ALREADY_RUNNING");
    expect(second.body.error.runningRunId).toBe(done.body.runId);
    expect(done.status).toBe(200);
  });

  test("conflicts: list, resolve, refuse a second decision, applied by the next run", async () => {
    const open = await api<{ conflicts: ConflictRecord[] }>("GET", "sync/likepersons/conflicts", CONFLICTS);
    const ambiguous = open.body.conflicts.filter((c) => c.kind === "ambiguous");
    expect(ambiguous.length).toBeGreaterThanOrEqual(2);
    const [target, other] = ambiguous as [ConflictRecord, ConflictRecord];

    const wrongChoice = await api<{ error: { field: string } }>("POST", `sync/likepersons/conflicts/${other.conflictId}/resolution`, RESOLUTION, {
      choice: "meander",
    });
    expect([wrongChoice.status, wrongChoice.body.error.field]).toEqual([400, "choice"]);
    const notCandidate = await api<{ error: { field: string } }>("POST", `sync/likepersons/conflicts/${other.conflictId}/resolution`, RESOLUTION, {
      choice: "value",
      values: { partner: "00000000-0000-4000-8000-000000000000" },
    });
    expect([notCandidate.status, notCandidate.body.error.field]).toEqual([400, "values.partner"]);

    const partner = target.candidates![0]!;
    const path = `sync/likepersons/conflicts/${target.conflictId}/resolution`;
    const resolved = await api<ConflictRecord>("POST", path, RESOLUTION, { choice: "value", values: { partner } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: "resolved", resolution: { choice: "value", values: { partner } } });
    const again = await api<{ error: { code: string } }>("POST", path, RESOLUTION, { choice: "value", values: { partner } });
    expect([again.status, again.body.error.code]).toEqual([409, "CONFLICT_STATE"]);

    const applied = await api<SyncResult>("POST", "sync/likepersons/runs", RUNS);
    expect(applied.status).toBe(200);
    // The chosen candidate is now coupled to the Meander record; no new contact was made.
    expect(standIns.dataverse.store.get("contacts", partner)?.hlf_meanderid).toBe(target.meanderId);
    expect(standIns.dataverse.store.list("contacts").filter((c) => c.hlf_meanderid === target.meanderId)).toHaveLength(1);
    const done = await api<{ conflicts: ConflictRecord[] }>("GET", "sync/likepersons/conflicts?status=resolved", CONFLICTS);
    expect(done.body.conflicts.map((c) => c.conflictId)).toContain(target.conflictId);
  });

  test("unknown config and bad input over the wire", async () => {
    expect((await api("GET", "sync/nosuch/conflicts", CONFLICTS)).status).toBe(404);
    expect((await api("GET", "sync/likepersons/runs?limit=100000", RUNS)).status).toBe(400);
  });
});

describe("the timer on the real service", () => {
  test("a past-due tick runs each enabled config once", async () => {
    const before = new Map<string, number>();
    for (const id of service.enabledConfigIds()) before.set(id, (await service.getSyncHistory(id, 100)).filter((r) => r.trigger === "timer").length);
    const timer = functionDefinitions(getService).timer;
    const context = new InvocationContext({ functionName: timer.name, invocationId: "e2e-timer", logHandler: (_level, ...args) => logs.push(String(args[0])) });
    await timer.options.handler({ isPastDue: true, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } }, context);
    for (const id of service.enabledConfigIds()) {
      const timerRuns = (await service.getSyncHistory(id, 100)).filter((r) => r.trigger === "timer");
      expect(timerRuns.length - before.get(id)!, id).toBe(1);
    }
    expect(logs.some((l) => l.includes('"message":"sync.timer.start"') && l.includes('"isPastDue":true'))).toBe(true);
  });
});

test("no personal data in any log line of all the above", async () => {
  const { dataset } = standIns;
  const personal = [
    ...dataset!.canaries.names,
    ...dataset!.canaries.emails,
    ...dataset!.canaries.phones,
    ...dataset!.meander.likepersons.flatMap((p) => [p.contact.email, p.contact.mobile]),
    ...dataset!.portal.contacts.map((c) => c.emailaddress1),
  ].filter((v) => v && v.length > 5);
  expect(logs.length).toBeGreaterThan(10);
  const text = logs.join("\n");
  expect(personal.filter((v) => text.includes(v))).toEqual([]);
});
