/**
 * HLF's own likepersons config (configs/likepersons.json) in the planner: the portal's contact
 * is the member, so the sync never deletes it, never writes Meander's view of member data
 * into it, and never creates or couples a contact without a person where it is unsure.
 */
import { describe, expect, it } from "vitest";
import { findPartner } from "../../shared/core/matching.js";
import { planPair, planUnlinked } from "../../shared/core/planner.js";
import type { Action, SideRecord, SideView } from "../../shared/core/types.js";
import { hlf, hlfActivities, kari, linkOf, meanderData, meanderRecord, type Person, portalData, portalRecord, present } from "./fixtures.js";

const unchanged: SideView = { state: "unchanged" };
const edit = (changes: Partial<Person>): Person => ({ ...kari, ...changes });
/** Dataverse always returns statecode; 0 is Active. */
const contact = (p: Person, extra: Record<string, unknown> = {}, id = "p-1"): SideRecord => ({
  ...portalRecord(p, {}, id),
  data: { ...portalData(id, p, "m-1"), statecode: 0, ...extra },
});
const updates = (actions: readonly Action[]) => actions.filter((a): a is Extract<Action, { kind: "update" }> => a.kind === "update");

describe("no hard delete of a member's contact", () => {
  it("a deleted Meander likeperson retires the contact: status retired, link field cleared, link dropped, nothing deleted", () => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: { state: "deleted", id: "m-1" }, portal: unchanged });
    expect(plan.outcome).toBe("retire");
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", fields: { hlf_likepersonstatus: 100000002, hlf_meanderid: null } }]);
    expect(plan.nextLink).toBeNull();
  });

  it("retires also a contact edited since the baseline (retiring loses no edit)", () => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: { state: "deleted", id: "m-1" }, portal: present(contact(edit({ city: "Bergen" }))) });
    expect(plan.outcome).toBe("retire");
    expect(plan.actions.every((a) => a.kind === "update")).toBe(true);
  });

  it("a deleted Meander activity deactivates the activity row (statecode/statuscode), never deletes it", () => {
    const link = { meanderId: "a-1", portalId: "pa-1", baseline: {}, portalVersion: 'W/"5"' };
    const plan = planPair(hlfActivities, { link, meander: { state: "deleted", id: "a-1" }, portal: unchanged });
    expect(plan.outcome).toBe("deactivate");
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "pa-1", fields: { statecode: 1, statuscode: 2 } }]);
  });

  it("a linked record missing from a read is not a deletion", () => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: { state: "absent" }, portal: unchanged });
    expect(plan).toMatchObject({ outcome: "skip", actions: [], reason: "PARTNER_NOT_READ" });
  });

  it("a contact deleted in the portal only unlinks the likeperson", () => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: present(meanderRecord(kari)), portal: { state: "deleted", id: "p-1" } });
    expect(plan).toMatchObject({ outcome: "unlink", actions: [], nextLink: null });
  });
});

describe("the portal is master of member data", () => {
  it("a Meander edit of a name, e-mail or member number never reaches the portal: the portal's value is put back in Meander", () => {
    const drifted = meanderRecord(edit({ firstName: "Karianne", email: "other@example.no", memberNumber: "999" }));
    const plan = planPair(hlf, { link: linkOf(kari), meander: present(drifted), portal: unchanged });
    expect(plan.actions.filter((a) => a.side === "portal")).toEqual([]);
    expect(updates(plan.actions)).toEqual([
      {
        kind: "update",
        side: "meander",
        id: "m-1",
        ifMatch: "7",
        fields: { firstName: "Kari", contact: { email: "kari.nordmann@example.no" }, memberNumber: "12345" },
      },
    ]);
    expect([...(plan.reasserted?.meander ?? [])].sort()).toEqual(["contact.email", "firstName", "memberNumber"]);
  });

  it("a portal edit of member data flows to Meander", () => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: unchanged, portal: present(contact(edit({ city: "Bergen" }))) });
    expect(updates(plan.actions)).toEqual([{ kind: "update", side: "meander", id: "m-1", ifMatch: "7", fields: { address: { city: "Bergen" } } }]);
    expect(plan.reasserted).toBeUndefined();
  });

  it("Meander is master of the likeperson status: a Meander change flows, a portal change is put back", () => {
    const fromMeander = planPair(hlf, { link: linkOf(kari), meander: present(meanderRecord(edit({ status: "paused" }))), portal: unchanged });
    expect(updates(fromMeander.actions)).toEqual([
      { kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { hlf_likepersonstatus: 100000001 } },
    ]);
    const fromPortal = planPair(hlf, { link: linkOf(kari), meander: unchanged, portal: present(contact(edit({ status: "paused" }))) });
    expect(updates(fromPortal.actions)).toEqual([
      { kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { hlf_likepersonstatus: 100000000 } },
    ]);
    expect(fromPortal.reasserted).toEqual({ portal: ["status"] });
  });

  it("the chapter is a decision for a person: both sides changing it parks a field conflict", () => {
    const plan = planPair(hlf, {
      link: linkOf(kari),
      meander: present(meanderRecord(edit({ chapter: "Bergen" }))),
      portal: present(contact(edit({ chapter: "Tromsø" }))),
    });
    expect(plan.outcome).toBe("conflict");
    expect(plan.parked.map((c) => c.field)).toEqual(["chapter"]);
  });
});

describe("nothing created in the member register without a person", () => {
  const lone = meanderRecord(kari, { data: meanderData("m-1", kari) });

  it("a Meander likeperson with no match is parked as unmatched: no contact created", () => {
    const plan = planPair(hlf, { meander: present(lone), portal: { state: "absent" } });
    expect(plan).toMatchObject({ outcome: "unmatched", actions: [], reason: "NO_MATCH" });
  });

  it("a person's request for a new contact creates it, seeded with the member data Meander has", () => {
    const plan = planPair(hlf, { meander: present(lone), portal: { state: "absent" }, forceCreate: true });
    expect(plan.outcome).toBe("create");
    const [create] = plan.actions as Extract<Action, { kind: "create" }>[];
    expect(create?.fields).toMatchObject({
      firstname: "Kari",
      lastname: "Nordmann",
      hlf_membernumber: "12345",
      hlf_likepersonstatus: 100000000,
      hlf_meanderid: "m-1",
    });
    expect(plan.nextLink?.baseline).toMatchObject({ firstName: "Kari", memberNumber: "12345", status: "active" });
  });

  it("a portal likeperson without a Meander record is still created in Meander, with its status", () => {
    const plan = planPair(hlf, { meander: { state: "absent" }, portal: present({ ...contact(kari), data: { ...contact(kari).data, hlf_meanderid: null } }) });
    expect(plan.outcome).toBe("create");
    const [create] = plan.actions as Extract<Action, { kind: "create" }>[];
    expect(create).toMatchObject({
      side: "meander",
      fields: { firstName: "Kari", status: "active", trainingCompletedOn: "2023-05-01", portalContactId: "p-1" },
    });
  });

  it("a retired likeperson without a partner is left alone (outside Meander's match scope)", () => {
    const retired = meanderRecord(edit({ status: "retired" }), { data: meanderData("m-1", edit({ status: "retired" })) });
    expect(planPair(hlf, { meander: present(retired), portal: { state: "absent" } })).toMatchObject({ outcome: "skip", reason: "NOT_MATCHABLE" });
  });
});

describe("safe matching", () => {
  const lone = meanderRecord(kari, { data: meanderData("m-1", kari) });
  const free = (p: Person, extra: Record<string, unknown> = {}, id = "p-1") => ({
    ...contact(p, extra, id),
    data: { ...contact(p, extra, id).data, hlf_meanderid: null },
  });

  it("one hit by member number couples on its own", () => {
    const match = findPartner(hlf, "meander", lone, [free(kari)], new Set());
    expect(match).toMatchObject({ kind: "one", by: "memberNumber", autoCouple: true });
    expect(planUnlinked(hlf, "meander", lone, match).outcome).toBe("couple");
  });

  it("one hit by e-mail only is a confirmMatch naming the candidate and the key", () => {
    const match = findPartner(hlf, "meander", lone, [free(edit({ memberNumber: null }))], new Set());
    expect(match).toMatchObject({ kind: "one", by: "contact.email", autoCouple: false });
    expect(planUnlinked(hlf, "meander", lone, match)).toMatchObject({ outcome: "confirmMatch", actions: [], candidate: { id: "p-1", by: "contact.email" } });
  });

  it("an inactive contact (statecode 1) is never a candidate", () => {
    expect(findPartner(hlf, "meander", lone, [free(kari, { statecode: 1, statuscode: 2 })], new Set())).toEqual({ kind: "none" });
  });
});

describe("state: a contact that leaves scope", () => {
  it.each([
    ["deactivated", { statecode: 1 }],
    ["its likeperson status cleared", { hlf_likepersonstatus: null }],
  ])("a linked contact %s retires the likeperson in Meander, clears its link field and unlinks; the contact is not written", (_, change) => {
    const plan = planPair(hlf, { link: linkOf(kari), meander: unchanged, portal: { state: "outOfScope", record: contact(kari, change) } });
    expect(plan).toMatchObject({ outcome: "unlink", reason: "OUT_OF_SCOPE", nextLink: null });
    expect(plan.actions).toEqual([{ kind: "update", side: "meander", id: "m-1", fields: { status: "retired", portalContactId: null } }]);
  });
});
