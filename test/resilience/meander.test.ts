/**
 * Meander faults during whole runs of the real service: the same kinds as the portal's
 * (throttling, 5xx, dropped connections, lost replies, answers past the deadline, an
 * expired cursor) plus a change feed that serves a page twice.
 */
import { describe } from "vitest";
import { faultSuite } from "./cases.js";
import { historyShows } from "./scenario.js";

const logged = (logs: string, message: string) => logs.includes(`"message":"${message}"`);

describe("Meander faults", () => {
  faultSuite("meander.test.ts", "Meander faults", [
    {
      name: "429 storm with growing Retry-After on the batches",
      phase: "incremental",
      inject: (w) => {
        for (const seconds of [1, 2]) w.meander.faults.failNext(1, { status: 429, retryAfterSeconds: seconds, match: "batch" });
      },
      told: (_h, logs) => logged(logs, "throttled: waiting as asked"),
    },
    {
      name: "the rate limiter at 12 requests a second through a first sync",
      phase: "initial",
      world: { meander: { limits: { requestsPerWindow: 12, windowMs: 1_000 } } },
      inject: () => {},
      told: (_h, logs) => logged(logs, "throttled: waiting as asked"),
    },
    {
      name: "503 and 500 burst",
      phase: "incremental",
      inject: (w) => {
        w.meander.faults.failNext(2, { status: 503 });
        w.meander.faults.failNext(1, { status: 500 });
      },
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      name: "connections dropped before any answer, on batches",
      phase: "incremental",
      inject: (w) => w.meander.faults.failNext(2, { drop: true, match: "batch" }),
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      name: "a batch reply lost after Meander applied it",
      phase: "initial",
      inject: (w) => w.meander.faults.failNext(2, { drop: "afterProcessing", match: "batch" }),
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      name: "answers slower than the client's deadline, on the feed and a batch",
      phase: "incremental",
      world: { deadlineMs: 1_500 },
      inject: (w) => {
        w.meander.faults.failNext(1, { delayMs: 2_500, match: "changes" });
        w.meander.faults.failNext(1, { delayMs: 2_500, match: "batch" });
      },
      told: (_h, logs) => logs.includes('"code":"TIMEOUT"'),
    },
    {
      name: "an expired change-feed cursor",
      phase: "incremental",
      inject: (w) => w.meander.store.expireCursors("likepersons"),
      told: (h) => historyShows(h, [], /cursor expired or invalid/),
    },
    {
      name: "a change-feed page served twice, mid-way through the first sync",
      phase: "initial",
      inject: (w) => {
        let seen = 0;
        w.meander.faults.failNext(1, { duplicatePage: true, match: (r) => r.kind === "changes" && ++seen === 3 });
      },
      told: (_h, logs) => logged(logs, "meander change feed replayed an old page: asked again"),
    },
    {
      name: "a change-feed page served twice in an incremental run",
      phase: "incremental",
      inject: (w) => w.meander.faults.failNext(1, { duplicatePage: true, match: "changes" }),
      told: (_h, logs) => logged(logs, "meander change feed replayed an old page: asked again"),
    },
  ]);
});
