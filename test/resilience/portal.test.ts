/**
 * Portal (Dataverse) faults during whole runs of the real service: throttling with growing
 * Retry-After, 5xx bursts, connections dropped mid-batch, an answer slower than the
 * client's deadline, an expired delta token, a rotated client secret, and the token
 * endpoint down for a while.
 */
import { describe } from "vitest";
import { faultSuite } from "./cases.js";
import { historyShows } from "./scenario.js";
import type { World } from "./world.js";

const batch = (method: string, path: string) => method === "POST" && path.includes("$batch");
const token = (_method: string, path: string) => path.includes("/oauth2/v2.0/token");
const logged = (logs: string, message: string) => logs.includes(`"message":"${message}"`);
const ROTATED = "rotated-client-secret-9f3a";

/** Set by a case: at the next "after-read-held", a person edits an unmapped column of every contact. */
let editWhileRunning: World | undefined;
const personEdits = {
  overrides: {
    pause: (point: string) => {
      if (point !== "after-read-held" || !editWhileRunning) return;
      const w = editWhileRunning;
      editWhileRunning = undefined;
      for (const c of w.dataverse.store.list("contacts")) w.dataverse.store.edit("contacts", String(c.contactid), { jobtitle: "Likeperson" });
    },
  },
};

describe("portal faults", () => {
  faultSuite("portal.test.ts", "portal faults", [
    {
      name: "429 storm with growing Retry-After on the batches",
      phase: "incremental",
      inject: (w) => {
        for (const seconds of [1, 2]) w.dataverse.faults.failNext(1, { status: 429, retryAfterSeconds: seconds, match: batch });
      },
      told: (_h, logs) => logged(logs, "throttled: waiting as asked"),
    },
    {
      name: "429 storm on the first full read",
      phase: "initial",
      inject: (w) => {
        for (const seconds of [1, 1, 2]) w.dataverse.faults.failNext(1, { status: 429, retryAfterSeconds: seconds });
      },
      told: (_h, logs) => logged(logs, "throttled: waiting as asked"),
    },
    {
      name: "503 and 500 burst",
      phase: "incremental",
      inject: (w) => {
        w.dataverse.faults.failNext(2, { status: 503 });
        w.dataverse.faults.failNext(1, { status: 500 });
      },
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      name: "connections dropped before any answer, on batches",
      phase: "incremental",
      inject: (w) => w.dataverse.faults.failNext(2, { drop: "beforeResponse", match: batch }),
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      // dynamics-web-api never settles when a connection dies after the headers: only the deadline ends the wait.
      name: "a connection dropped mid-response, on a batch",
      phase: "incremental",
      world: { deadlineMs: 1_500 },
      inject: (w) => w.dataverse.faults.failNext(1, { drop: "midResponse", match: batch }),
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      name: "answers slower than the client's deadline, on a read and a batch",
      phase: "incremental",
      world: { deadlineMs: 1_500 },
      inject: (w) => {
        w.dataverse.faults.failNext(1, { delayMs: 2_500, match: (m, p) => m === "GET" && p.includes("/contacts") });
        w.dataverse.faults.failNext(1, { delayMs: 2_500, match: batch });
      },
      told: (_h, logs) => logs.includes('"code":"TIMEOUT"'),
    },
    {
      name: "a batch reply lost after the portal applied it",
      phase: "initial",
      inject: (w) => w.dataverse.faults.failNext(1, { drop: "afterProcessing", match: batch }),
      told: (_h, logs) => logged(logs, "retrying after a transient failure"),
    },
    {
      // The run's updates carry the versions it read: every one fails 412, its creates in the same batches go through.
      name: "a batch where some operations fail (a person edits the contacts between the run's read and its writes)",
      phase: "incremental",
      world: personEdits,
      inject: (w) => {
        editWhileRunning = w;
      },
      told: (h) => historyShows(h, ["PRECONDITION_FAILED"]),
    },
    {
      name: "an expired delta token",
      phase: "incremental",
      inject: (w) => w.dataverse.store.expireDeltaTokens(),
      told: (h) => historyShows(h, [], /change token expired or invalid/),
    },
    {
      name: "a rotated client secret (Key Vault updated, old tokens revoked)",
      phase: "incremental",
      secrets: [ROTATED],
      inject: (w) => {
        w.dataverse.setSecret("dataverse-client-secret", ROTATED);
        w.dataverse.rotateClientSecret("11111111-2222-3333-4444-555555555555", ROTATED);
      },
      told: (h) => h[0]?.status === "succeeded",
    },
    {
      // Connections reset, not 5xx: after a 5xx from the token endpoint MSAL itself refuses to ask
      // again for 60 s (its throttling cache), longer than a test should wait; see docs/reliability.md.
      name: "the token endpoint unreachable for a while",
      phase: "initial",
      // Five: more than the identity client's own attempts (four), so the run meets the outage.
      inject: (w) => w.dataverse.faults.failNext(5, { drop: "beforeResponse", match: token }),
      told: (h, logs) => historyShows(h, ["SECRET_READ_FAILED", "AUTH_FAILED", "SECRET_UNAVAILABLE"]) || logged(logs, "retrying after a transient failure"),
    },
  ]);
});
