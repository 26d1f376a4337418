/**
 * Nothing the Meander client logs or reports carries personal data: canary people go
 * through every path, failures included, and their markers must not appear.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeanderSide } from "../../shared/adapters/meander/index.js";
import type { Logger, WriteOutcome } from "../../shared/ports.js";
import { generateDataset } from "../../sim/data/generator.js";
import { type MeanderSim, startMeanderSim } from "../../sim/meander/index.js";
import { fastRetries, SCOPE, staticTokens } from "./support.js";

const data = generateDataset({ seed: 99, people: 12, canaries: 3, activitiesPerPerson: 1 });
const lines: string[] = [];
const logger: Logger = {
  info: (message, properties) => lines.push(JSON.stringify({ message, properties })),
  warn: (message, properties) => lines.push(JSON.stringify({ message, properties })),
  error: (message, properties) => lines.push(JSON.stringify({ message, properties })),
};
const reported: string[] = [];
let sim: MeanderSim;
let side: MeanderSide;

const canaryIds = () => data.meander.likepersons.filter((m) => data.canaries.emails.includes(m.contact.email)).map((m) => m.id);
const record = (outcomes: WriteOutcome[]) => {
  for (const o of outcomes) if (!o.ok) reported.push(JSON.stringify(o.error));
  return outcomes;
};

beforeAll(async () => {
  sim = await startMeanderSim({ limits: false });
  sim.store.seed("likepersons", data.meander.likepersons);
  side = new MeanderSide({
    baseUrl: sim.url,
    tokenSource: staticTokens(),
    scope: SCOPE,
    resilience: fastRetries,
    logger,
    events: { onRetry: (attempt, delayMs, code) => lines.push(JSON.stringify({ attempt, delayMs, code })) },
  });
});

afterAll(async () => {
  await sim.close();
});

describe("Meander client and personal data", () => {
  it("keeps canary values out of logs, outcomes and errors on every path", async () => {
    const [first, second] = canaryIds();
    expect(first && second).toBeTruthy();
    let cursor = "";
    for await (const page of side.readChanges("likepersons", undefined)) cursor = page.cursor;
    sim.store.expireCursors("likepersons");
    sim.faults.failNext(1, { status: 503, match: "changes" });
    for await (const page of side.readChanges("likepersons", cursor)) expect(page.fullResync).toBe(true);
    expect(await side.findByField("likepersons", "contact.email", data.canaries.emails)).toHaveLength(2);
    const lp = sim.store.get("likepersons", first!)!;
    sim.faults.failNext(1, { drop: true, match: "batch" });
    record(
      await side.write("likepersons", [
        { op: "update", ref: "invalid", id: first!, data: { status: data.canaries.names[0], address: { postalCode: data.canaries.phones[0] } } },
        { op: "update", ref: "stale", id: first!, ifMatch: "v0", data: { lastName: data.canaries.names[1] } },
        { op: "update", ref: "duplicate", id: second!, data: { memberNumber: lp.data.memberNumber } },
        {
          op: "create",
          ref: "created",
          data: { firstName: data.canaries.names[2], lastName: data.canaries.names[3] },
          upsertKey: { field: "portalContactId", value: "b5d1f0c2-0000-4000-8000-000000000001" },
        },
      ]),
    );
    record(await side.write("likepersons", [{ op: "delete", ref: "gone", id: "no-such-record" }]));
    await side.findByField("likepersons", "firstName", data.canaries.names).catch((error: Error) => reported.push(error.message));
    // A careless server echoing the value must not make the client repeat it.
    sim.faults.failNext(1, {
      status: 422,
      match: "lookup",
      problem: {
        detail: `${data.canaries.emails[0]} is not allowed`,
        code: "VALUE_REFUSED",
        errors: [{ pointer: "/values/0", detail: data.canaries.emails[0] }],
      },
    });
    await side.findByField("likepersons", "contact.email", [data.canaries.emails[0]!]).catch((error: Error) => reported.push(error.message));
    expect(reported.at(-1)).toBe("meander lookup likepersons: HTTP 422 VALUE_REFUSED (fields: /values/0)");
    const stranger = new MeanderSide({ baseUrl: sim.url, tokenSource: staticTokens(""), scope: SCOPE, logger });
    await stranger.getByIds("likepersons", [first!]).catch((error: Error) => reported.push(error.message));

    expect(reported.length).toBeGreaterThanOrEqual(4);
    expect(lines.length).toBeGreaterThan(2);
    const text = [...lines, ...reported].join("\n");
    for (const marker of [...data.canaries.names, ...data.canaries.emails, ...data.canaries.phones]) expect(text).not.toContain(marker);
    for (const person of data.meander.likepersons) {
      expect(text).not.toContain(person.contact.email);
      expect(text).not.toContain(person.lastName);
    }
  });
});
