/**
 * A person's edit that lands while a run is between its read and its write, on real parts
 * (both simulators, the real adapters, Azurite). The run's write to that record is refused
 * (412: the version changed since it was read) and the pair goes to the retry ledger. The
 * portal's change-tracking cursor has moved past the contact's change the run had read with it,
 * so the next run plans the retried pair with the contact as it is now, read by id: every
 * edit reaches the other side, none is planned against a stale baseline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Link, SyncResult } from "../../shared/core/types.js";
import type { RecordSide } from "../../shared/ports.js";
import { type Harness, startHarness } from "./harness.js";

const L = "likepersons";
const DATASET = { seed: 53, people: 6, overlap: 1, portalOnlyMembers: 0, conflictingShare: 0, formatNoiseShare: 0, ambiguousShare: 0 };

describe("a likeperson edited in Meander while the run writes to it, the contact's city edited in the portal", () => {
  let h: Harness;
  let link: Link;
  let raced: SyncResult;
  let retried: SyncResult;
  let cityAfterRace: string;
  const likeperson = () => h.meander.store.get(L, link.meanderId)!.data as { address: { city: string }; trainingCompletedOn: string | null };
  const contact = () => h.dataverse.store.get("contacts", link.portalId)!;
  const sync = () => h.service.runSync(L, { trigger: "timer" });

  beforeAll(async () => {
    h = await startHarness({ dataset: DATASET });
    expect((await sync()).status).toBe("succeeded");
    for await (const l of h.service.deps.state.listLinks(L)) link ??= l;
    // The member moves (portal), and the likeperson writes a presentation in Meander (a field no mapping
    // carries): both records are in the next run's feeds, and only the city has anywhere to go.
    h.dataverse.store.edit("contacts", link.portalId, { address1_city: "Vardø" });
    h.meander.store.edit(L, link.meanderId, { presentation: "Snakker gjerne om høreapparater." });
    // Between the run's read and its write of the city to Meander, a person records the likeperson's training there.
    const real = h.service.sides.meander;
    let raceDone = false;
    const racing: RecordSide = {
      side: "meander",
      readChanges: (...args) => real.readChanges(...args),
      getByIds: (...args) => real.getByIds(...args),
      findByField: (...args) => real.findByField(...args),
      write: (entity, ops) => {
        if (!raceDone) {
          raceDone = true;
          h.meander.store.edit(L, link.meanderId, { trainingCompletedOn: "2025-01-17" });
        }
        return real.write(entity, ops);
      },
    };
    raced = await (await h.another({ sides: { meander: racing } })).runSync(L, { trigger: "timer" });
    cityAfterRace = likeperson().address.city;
    retried = await sync();
  });
  afterAll(async () => h?.close());

  it("the raced run's write is refused for the version, and the pair waits in the retry ledger", async () => {
    expect(raced.status).toBe("partial");
    expect(raced.errors).toEqual([expect.objectContaining({ side: "meander", recordId: link.meanderId, status: 412 })]);
    expect(raced.ledger.size).toBe(1);
    // Nothing of the city reached Meander in that run.
    expect(cityAfterRace).not.toBe("Vardø");
  });

  it("the next run applies every edit: the city to Meander, the training date to the portal", async () => {
    expect([retried.status, retried.errors]).toEqual(["succeeded", []]);
    expect(retried.ledger.size).toBe(0);
    expect(likeperson()).toMatchObject({ address: { city: "Vardø" }, trainingCompletedOn: "2025-01-17", presentation: "Snakker gjerne om høreapparater." });
    expect(contact()).toMatchObject({ address1_city: "Vardø" });
    expect(String(contact().hlf_trainingcompletedon)).toContain("2025-01-17");
    expect(await h.service.deps.state.listLedger(L)).toEqual([]);
  });

  it("leaves nothing behind: the run after writes nothing", async () => {
    const before = h.dataverse.counters().recordsWritten + h.meander.counters().recordsWritten;
    const again = await sync();
    expect([again.status, again.errors]).toEqual(["succeeded", []]);
    expect(h.dataverse.counters().recordsWritten + h.meander.counters().recordsWritten).toBe(before);
  });
});
