import { InvocationContext, type Timer } from "@azure/functions";
import { expect, test } from "vitest";
import { createTimerFunction } from "../../functions/syncTimer.js";
import { FakeService } from "./fakeService.js";

const timer = (isPastDue: boolean): Timer => ({
  isPastDue,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: "2026-11-26T10:00:00Z", next: "2026-11-26T10:15:00Z", lastUpdated: "2026-11-26T10:00:00Z" },
});

function fire(service: FakeService, isPastDue = false) {
  const logs: { level: string; line: Record<string, unknown> }[] = [];
  const context = new InvocationContext({
    functionName: "syncTimer",
    invocationId: "inv-t",
    logHandler: (level, ...args) => logs.push({ level, line: JSON.parse(String(args[0])) as Record<string, unknown> }),
  });
  const run = createTimerFunction(async () => service).options.handler(timer(isPastDue), context);
  return { run: Promise.resolve(run), logs };
}

test("registered on %SYNC_SCHEDULE%, not on start-up", () => {
  const { name, options } = createTimerFunction(async () => new FakeService());
  expect(name).toBe("syncTimer");
  expect(options).toMatchObject({ schedule: "%SYNC_SCHEDULE%", runOnStartup: false });
});

test("a past-due timer runs each enabled config once, in order, as trigger timer", async () => {
  const service = new FakeService();
  const { run, logs } = fire(service, true);
  await run;
  expect(service.calls).toEqual([
    { configId: "likepersons", options: { trigger: "timer" } },
    { configId: "activities", options: { trigger: "timer" } },
  ]);
  expect(logs[0]).toEqual({ level: "warning", line: { level: "warn", message: "sync.timer.start", invocationId: "inv-t", isPastDue: true } });
  const runs = logs.filter((l) => l.line.message === "sync.timer.run").map((l) => l.line);
  expect(runs).toEqual([
    expect.objectContaining({ configId: "likepersons", runId: "run-1", status: "succeeded" }),
    expect.objectContaining({ configId: "activities", runId: "run-2", status: "succeeded" }),
  ]);
});

test("one config failing does not stop the next; the invocation fails afterwards without data", async () => {
  const service = new FakeService();
  service.behaviour.set("likepersons", "throw");
  const { run, logs } = fire(service);
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(service.calls.map((c) => c.configId)).toEqual(["likepersons", "activities"]);
  expect(error).toBeInstanceOf(AggregateError);
  expect((error as AggregateError).message).toBe("sync failed for 1 config(s): likepersons: UNEXPECTED");
  expect((error as AggregateError).errors).toHaveLength(1);
  expect(`${(error as Error).message} ${JSON.stringify(logs)}`).not.toContain("c4n4ry");
});

test("a run that ends as failed counts as a failure", async () => {
  const service = new FakeService();
  service.behaviour.set("activities", "fail");
  await expect(fire(service).run).rejects.toThrow("sync failed for 1 config(s): activities: run run-2 failed");
});

test("an already-running config is logged and skipped, not a failure", async () => {
  const service = new FakeService();
  service.running.set("likepersons", "run-other");
  const { run, logs } = fire(service);
  await run;
  expect(service.calls.map((c) => c.configId)).toEqual(["activities"]);
  expect(logs).toContainEqual({
    level: "warning",
    line: expect.objectContaining({ message: "sync.timer.skipped", configId: "likepersons", runningRunId: "run-other" }),
  });
});
