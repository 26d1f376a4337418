import { describe, expect, it } from "vitest";
import { planPair } from "../../shared/core/planner.js";
import type { Action, SideView } from "../../shared/core/types.js";
import { MappingError, RecordError } from "../../shared/errors.js";
import { activities, kari, likepersons, linkOf, meanderData, meanderRecord, type Person, portalData, portalRecord, present } from "./fixtures.js";

const unchanged: SideView = { state: "unchanged" };
const edit = (changes: Partial<Person>): Person => ({ ...kari, ...changes });
const update = (actions: readonly Action[], side: "meander" | "portal") =>
  actions.find((a) => a.kind === "update" && a.side === side) as Extract<Action, { kind: "update" }> | undefined;

describe("planPair with a link: one side changed", () => {
  it("sends a Meander edit to the portal, only the changed column, with the version we know", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: present(meanderRecord(edit({ city: "Bergen" }), { version: "8" })), portal: unchanged });
    expect(plan.outcome).toBe("sync");
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { address1_city: "Bergen" } }]);
    expect(plan.changedFields).toEqual({ portal: ["address.city"] });
    expect(plan.nextLink?.baseline["address.city"]).toBe("Bergen");
    expect(plan.nextLink?.meanderVersion).toBe("8");
  });

  it("sends a portal edit to Meander in Meander's shape (nested, normalised)", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: unchanged,
      portal: present(portalRecord(edit({ mobile: "  98 76 54 32 ", status: "paused" }), { version: 'W/"101"' })),
    });
    expect(plan.actions).toEqual([
      { kind: "update", side: "meander", id: "m-1", ifMatch: "7", fields: { contact: { mobile: "+4798765432" }, status: "paused" } },
    ]);
  });

  it("treats formatting the transforms normalise as no change", () => {
    const portal = portalRecord(kari);
    const reformatted = { ...portal, data: { ...portal.data, mobilephone: "912 34 567", emailaddress1: " Kari.Nordmann@EXAMPLE.no" } };
    const plan = planPair(likepersons, { link: linkOf(kari), meander: unchanged, portal: present(reformatted) });
    expect(plan.actions).toEqual([]);
    expect(plan.outcome).toBe("noop");
    expect(plan.nextLink).toBeUndefined();
  });

  it("sees its own earlier write coming back as a no-op, and keeps the new version", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: unchanged, portal: present(portalRecord(kari, { version: 'W/"105"' })) });
    expect(plan.actions).toEqual([]);
    const { meanderId: _m, portalId: _p, ...expected } = linkOf(kari, { portalVersion: 'W/"105"' });
    expect(plan.nextLink).toEqual(expected);
  });

  it("writes nothing when both sides changed to the same value, and moves the baseline", () => {
    const both = edit({ lastName: "Hansen" });
    const plan = planPair(likepersons, { link: linkOf(kari), meander: present(meanderRecord(both)), portal: present(portalRecord(both)) });
    expect(plan.actions).toEqual([]);
    expect(plan.outcome).toBe("noop");
    expect(plan.nextLink?.baseline.lastName).toBe("Hansen");
  });

  it("a column the read did not return is not a clearing: nothing flows for it", () => {
    const portal = portalRecord(edit({ city: "Bergen" }));
    const { address1_postalcode: _gone, ...partial } = portal.data;
    const meander = meanderRecord(kari);
    const { address: _address, ...noAddress } = meander.data;
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: present({ ...meander, data: noAddress }),
      portal: present({ ...portal, data: partial }),
    });
    expect(plan.actions).toEqual([]);
    // The portal's city changed while Meander's is unknown: no longer "agreed", settled when both are read.
    expect(Object.hasOwn(plan.nextLink!.baseline, "address.city")).toBe(false);
    expect(plan.nextLink!.baseline["address.postalCode"]).toBe("0150");
    const later = planPair(likepersons, { link: { ...linkOf(kari), ...plan.nextLink! }, meander: present(meander), portal: unchanged });
    expect(later.actions).toEqual([]);
  });

  it("a clearing is an edit that syncs (null flows)", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: present(meanderRecord(edit({ chapter: null }))), portal: unchanged });
    expect(update(plan.actions, "portal")?.fields).toEqual({ hlf_localchapter: null });
  });
});

describe("planPair: owner policies when both sides changed a field differently", () => {
  const conflict = (change: (side: "m" | "p") => Partial<Person>, times: { m?: string; p?: string } = {}) =>
    planPair(likepersons, {
      link: linkOf(kari),
      meander: present(meanderRecord(edit(change("m")), { modifiedOn: times.m })),
      portal: present(portalRecord(edit(change("p")), { modifiedOn: times.p })),
    });

  it("portal owner: the portal's value goes to Meander", () => {
    const plan = conflict((s) => ({ firstName: s === "m" ? "Kaia" : "Karin" }));
    expect(plan.actions).toEqual([{ kind: "update", side: "meander", id: "m-1", ifMatch: "7", fields: { firstName: "Karin" } }]);
    expect(plan.resolved).toEqual([{ field: "firstName", base: "Kari", meander: "Kaia", portal: "Karin", winner: "portal", owner: "portal" }]);
    expect(plan.nextLink?.baseline.firstName).toBe("Karin");
  });

  it("meander owner: Meander's value goes to the portal (through the value map)", () => {
    const plan = conflict((s) => ({ status: s === "m" ? "retired" : "paused" }));
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { hlf_likepersonstatus: 100000002 } }]);
    expect(plan.resolved[0]).toMatchObject({ winner: "meander", owner: "meander" });
  });

  it.each([
    ["Meander newer", "2025-03-02T00:00:00Z", "2025-03-01T00:00:00Z", "meander"],
    ["portal newer", "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", "portal"],
    ["a tie goes to the portal", "2025-03-01T00:00:00Z", "2025-03-01T00:00:00.000Z", "portal"],
    ["no times: the portal", undefined, undefined, "portal"],
  ])("newest owner, %s", (_, m, p, winner) => {
    const plan = conflict((s) => ({ email: s === "m" ? "kari@meander.no" : "kari@portal.no" }), { m, p });
    expect(plan.resolved).toEqual([expect.objectContaining({ field: "contact.email", winner, owner: "newest" })]);
    const target = winner === "meander" ? "portal" : "meander";
    expect(plan.actions.map((a) => a.side)).toEqual([target]);
    expect(plan.nextLink?.baseline["contact.email"]).toBe(winner === "meander" ? "kari@meander.no" : "kari@portal.no");
  });

  it("manual: parks the field, writes nothing for it, unsets its baseline; other fields still flow", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: present(meanderRecord(edit({ chapter: "Bergen", city: "Bergen" }))),
      portal: present(portalRecord(edit({ chapter: "Trondheim" }))),
    });
    expect(plan.outcome).toBe("conflict");
    expect(plan.parked).toEqual([{ field: "chapter", base: "Oslo", meander: "Bergen", portal: "Trondheim" }]);
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { address1_city: "Bergen" } }]);
    expect(Object.hasOwn(plan.nextLink!.baseline, "chapter")).toBe(false);
    expect(plan.nextLink?.parked).toEqual(["chapter"]);
  });

  const { chapter: _chapter, ...withoutChapter } = linkOf(kari).baseline;
  it.each([
    ["the parked list and an old baseline", linkOf(kari, { parked: ["chapter"] })],
    ["the parked list", linkOf(kari, { parked: ["chapter"], baseline: withoutChapter })],
    ["only the unset baseline (a store that drops the list)", linkOf(kari, { baseline: withoutChapter })],
  ])("a parked field stays parked while a side is unchanged, given %s", (_, link) => {
    const plan = planPair(likepersons, { link, meander: present(meanderRecord(edit({ chapter: "Bergen", city: "Moss" }))), portal: unchanged });
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { address1_city: "Moss" } }]);
    expect(Object.hasOwn(plan.nextLink!.baseline, "chapter")).toBe(false);
  });

  it("a parked field is not merged against the old baseline: one side going back to it is still a conflict", () => {
    const link = linkOf(kari, { parked: ["chapter"] });
    const plan = planPair(likepersons, { link, meander: present(meanderRecord(edit({ chapter: "Bergen" }))), portal: present(portalRecord(kari)) });
    expect(plan.actions).toEqual([]);
    expect(plan.parked).toEqual([{ field: "chapter", base: "Oslo", meander: "Bergen", portal: "Oslo" }]);
    const agreed = planPair(likepersons, { link, meander: present(meanderRecord(kari)), portal: present(portalRecord(kari)) });
    expect(agreed).toMatchObject({ outcome: "noop", actions: [], parked: [] });
    expect(agreed.nextLink?.parked).toBeUndefined();
  });

  it("a resolution sets the value on both sides where they differ and becomes the baseline", () => {
    const link = linkOf(kari, { parked: ["chapter"] });
    const plan = planPair(likepersons, {
      link,
      meander: present(meanderRecord(edit({ chapter: "Bergen" }))),
      portal: present(portalRecord(edit({ chapter: "Trondheim" }))),
      resolutions: [{ field: "chapter", value: "Bergen" }],
    });
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "p-1", ifMatch: 'W/"100"', fields: { hlf_localchapter: "Bergen" } }]);
    expect(plan.nextLink?.baseline.chapter).toBe("Bergen");
    expect(plan.nextLink?.parked).toBeUndefined();
    expect(plan.parked).toEqual([]);
  });

  it("a resolution is normalised like any value, and one the field cannot hold is a MappingError", () => {
    const link = linkOf(kari, { parked: ["contact.mobile"] });
    const m = present(meanderRecord(edit({ mobile: "+4798765432" })));
    const plan = planPair(likepersons, {
      link,
      meander: m,
      portal: present(portalRecord(kari)),
      resolutions: [{ field: "contact.mobile", value: "987 65 432" }],
    });
    expect(plan.actions).toEqual([expect.objectContaining({ side: "portal", fields: { mobilephone: "+4798765432" } })]);
    expect(plan.nextLink?.baseline["contact.mobile"]).toBe("+4798765432");
    expect(() => planPair(likepersons, { link, meander: m, portal: unchanged, resolutions: [{ field: "status", value: "dormant" }] })).toThrow(MappingError);
    expect(planPair(likepersons, { link: linkOf(kari), meander: unchanged, portal: unchanged, resolutions: [{ field: "gone", value: "x" }] }).actions).toEqual(
      [],
    );
  });

  it("a resolution with an unchanged side writes to it too (its value is unknown)", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari, { parked: ["chapter"] }),
      meander: unchanged,
      portal: unchanged,
      resolutions: [{ field: "chapter", value: "Moss" }],
    });
    expect(plan.actions.map((a) => a.side).sort()).toEqual(["meander", "portal"]);
  });
});

describe("planPair: first coupling and creates", () => {
  it("couples two existing records: agreed fields, owners for the rest, link fields written", () => {
    const meander = meanderRecord(edit({ memberNumber: "0012345", lastName: "Nordman" }), {
      data: meanderData("m-1", edit({ memberNumber: "0012345", lastName: "Nordman" })),
    });
    const portal = portalRecord(kari, { data: portalData("p-1", kari) });
    const plan = planPair(likepersons, { meander: present(meander), portal: present(portal) });
    expect(plan.outcome).toBe("couple");
    expect(update(plan.actions, "meander")?.fields).toEqual({ lastName: "Nordmann", memberNumber: "12345", portalContactId: "p-1" });
    expect(update(plan.actions, "portal")?.fields).toEqual({ hlf_meanderid: "m-1" });
    expect(plan.nextLink?.baseline).toMatchObject({ lastName: "Nordmann", memberNumber: "12345", chapter: "Oslo" });
  });

  it("does not rewrite link fields that already hold the partner's id", () => {
    const plan = planPair(likepersons, { meander: present(meanderRecord(kari)), portal: present(portalRecord(kari)) });
    expect(plan.actions).toEqual([]);
    expect(plan.outcome).toBe("couple");
    expect(plan.nextLink).toBeDefined();
  });

  it("parks a manual field at coupling and leaves its baseline unset", () => {
    const plan = planPair(likepersons, { meander: present(meanderRecord(edit({ chapter: "Bergen" }))), portal: present(portalRecord(kari)) });
    expect(plan.parked).toEqual([{ field: "chapter", base: undefined, meander: "Bergen", portal: "Oslo" }]);
    expect(Object.hasOwn(plan.nextLink!.baseline, "chapter")).toBe(false);
  });

  it("creates the portal partner with every field that flows there, plus the link field", () => {
    const plan = planPair(likepersons, { meander: present(meanderRecord(kari, { data: meanderData("m-1", kari) })), portal: { state: "absent" } });
    expect(plan.outcome).toBe("create");
    expect(plan.actions).toHaveLength(1);
    const create = plan.actions[0] as Extract<Action, { kind: "create" }>;
    expect(create.side).toBe("portal");
    expect(create.fields).toMatchObject({ firstname: "Kari", hlf_likepersonstatus: 100000000, hlf_meanderid: "m-1", mobilephone: "+4791234567" });
    // A field the portal is master of is seeded once from Meander's value: the new contact is not blank.
    expect(create.fields).toMatchObject({ hlf_membernumber: "12345" });
    expect(plan.nextLink!.baseline.memberNumber).toBe("12345");
  });

  it("creates the Meander partner from a portal contact", () => {
    const plan = planPair(likepersons, { meander: { state: "absent" }, portal: present(portalRecord(kari, { data: portalData("p-1", kari) })) });
    const create = plan.actions[0] as Extract<Action, { kind: "create" }>;
    expect(create).toMatchObject({ kind: "create", side: "meander" });
    expect(create.fields).toMatchObject({ firstName: "Kari", memberNumber: "12345", contact: { email: "kari.nordmann@example.no" }, portalContactId: "p-1" });
  });

  it.each(["meander", "portal"] as const)("never creates from a %s record whose link field names a partner it cannot see", (side) => {
    const plan = planPair(likepersons, {
      meander: side === "meander" ? present(meanderRecord(kari)) : { state: "absent" },
      portal: side === "portal" ? present(portalRecord(kari)) : { state: "absent" },
    });
    expect(plan).toMatchObject({ outcome: "skip", actions: [], reason: "PARTNER_GONE" });
  });

  it("a missing required field is a MappingError naming the field and the record, with no personal value", () => {
    const data = { ...meanderData("m-42", kari), firstName: "   " };
    try {
      planPair(likepersons, { meander: present({ id: "m-42", data }), portal: { state: "absent" } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(MappingError);
      const message = (error as MappingError).message;
      expect(message).toContain("firstName");
      expect(message).toContain("m-42");
      for (const value of Object.values(kari)) if (typeof value === "string" && value.length > 3) expect(message).not.toContain(value);
      expect(message).not.toContain("Nordmann");
    }
  });
});

describe("planPair: deletes and scope", () => {
  it("meanderDeleted: delete → deletes the portal partner with If-Match and removes the link", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: { state: "deleted", id: "m-1" },
      portal: present(portalRecord(kari, { version: 'W/"101"' })),
    });
    expect(plan.outcome).toBe("delete");
    expect(plan.actions).toEqual([{ kind: "delete", side: "portal", id: "p-1", ifMatch: 'W/"101"' }]);
    expect(plan.nextLink).toBeNull();
  });

  it("deletes an unchanged partner with the link's version", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: { state: "deleted", id: "m-1" }, portal: unchanged });
    expect(plan.actions).toEqual([{ kind: "delete", side: "portal", id: "p-1", ifMatch: 'W/"100"' }]);
  });

  it("portalDeleted: unlink → removes the link, deletes nothing", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: present(meanderRecord(kari)), portal: { state: "deleted", id: "p-1" } });
    expect(plan).toMatchObject({ outcome: "unlink", actions: [], nextLink: null });
  });

  it("edit vs delete: a survivor edited since the baseline is unlinked, never deleted", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: { state: "deleted", id: "m-1" },
      portal: present(portalRecord(edit({ lastName: "Hansen" }))),
    });
    expect(plan).toMatchObject({ outcome: "unlink", actions: [], nextLink: null });
  });

  it("edit vs delete: a survivor with a parked conflict is kept", () => {
    const plan = planPair(likepersons, {
      link: linkOf(kari, { parked: ["chapter"] }),
      meander: { state: "deleted", id: "m-1" },
      portal: present(portalRecord(kari)),
    });
    expect(plan.outcome).toBe("unlink");
  });

  it("both deleted: the link goes", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: { state: "deleted", id: "m-1" }, portal: { state: "deleted", id: "p-1" } });
    expect(plan).toMatchObject({ outcome: "delete", actions: [], nextLink: null });
  });

  it("a linked partner that a read did not return is not a deletion: nothing happens, the link stays", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: { state: "absent" }, portal: unchanged });
    expect(plan).toMatchObject({ outcome: "skip", actions: [], reason: "PARTNER_NOT_READ" });
    expect(plan.nextLink).toBeUndefined();
  });

  it("deleted and never linked: skip", () => {
    const plan = planPair(likepersons, { meander: { state: "deleted", id: "m-9" }, portal: { state: "absent" } });
    expect(plan).toMatchObject({ outcome: "skip", actions: [], key: "m:m-9" });
  });

  it.each(["meander", "portal"] as const)("out of scope on the %s side with a link: unlink, never delete", (side) => {
    const outOfScope: SideView = { state: "outOfScope", record: side === "meander" ? meanderRecord(kari) : portalRecord(kari) };
    const plan = planPair(likepersons, {
      link: linkOf(kari),
      meander: side === "meander" ? outOfScope : { state: "deleted", id: "m-1" },
      portal: side === "portal" ? outOfScope : present(portalRecord(kari)),
    });
    expect(plan).toMatchObject({ outcome: "unlink", actions: [], nextLink: null });
  });

  it("out of scope without a link: skip, nothing created", () => {
    const plan = planPair(likepersons, { meander: { state: "absent" }, portal: { state: "outOfScope", record: portalRecord(kari) } });
    expect(plan).toMatchObject({ outcome: "skip", actions: [] });
  });
});

describe("planPair: one-way fields", () => {
  it("a member number changed in the portal flows to Meander", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: unchanged, portal: present(portalRecord(edit({ memberNumber: "777" }))) });
    expect(plan.actions).toEqual([expect.objectContaining({ side: "meander", fields: { memberNumber: "777" } })]);
  });

  it("a member number changed in Meander never goes to the portal: the portal's is put back in Meander", () => {
    const plan = planPair(likepersons, { link: linkOf(kari), meander: present(meanderRecord(edit({ memberNumber: "999" }))), portal: unchanged });
    expect(plan.actions).toEqual([{ kind: "update", side: "meander", id: "m-1", ifMatch: "7", fields: { memberNumber: "12345" } }]);
    expect(plan.reasserted).toEqual({ meander: ["memberNumber"] });
  });

  it("rejects a lookup it cannot resolve with LOOKUP_UNRESOLVED naming field and record", () => {
    expect.assertions(4);
    try {
      planPair(activities, { meander: present(activity()), portal: { state: "absent" } });
    } catch (error) {
      expect(error).toBeInstanceOf(RecordError);
      expect((error as RecordError).code).toBe("LOOKUP_UNRESOLVED");
      expect((error as RecordError).message).toContain("likepersonId");
      expect((error as RecordError).message).toContain("a-1");
    }
  });
});

const activity = (changes: Record<string, unknown> = {}) => ({
  id: "a-1",
  version: "3",
  data: { id: "a-1", likepersonId: "m-1", date: "2025-02-03", kind: "group", hours: 2, peopleReached: 8, chapter: "Oslo", ...changes },
});
const activityPortal = (changes: Record<string, unknown> = {}) => ({
  id: "pa-1",
  version: 'W/"5"',
  data: {
    hlf_likepersonactivityid: "pa-1",
    _hlf_contactid_value: "p-1",
    hlf_date: "2025-02-03",
    hlf_kind: 100000001,
    hlf_hours: 2,
    hlf_peoplereached: 8,
    hlf_localchapter: "Oslo",
    hlf_meanderid: "a-1",
    ...changes,
  },
});
const lookups = new Map([["m-1", "p-1"]]);
const activityLink = {
  meanderId: "a-1",
  portalId: "pa-1",
  baseline: { likepersonId: "m-1", date: "2025-02-03", kind: "group", hours: 2, peopleReached: 8, chapter: "Oslo" },
  meanderVersion: "3",
  portalVersion: 'W/"5"',
};

describe("planPair: a one-way config (activities)", () => {
  it("creates the portal row with the lookup bound to the contact and the link field set", () => {
    const plan = planPair(activities, { meander: present(activity()), portal: { state: "absent" } }, { lookups });
    expect(plan.actions).toEqual([
      {
        kind: "create",
        side: "portal",
        fields: {
          "hlf_ContactId@odata.bind": "/contacts(p-1)",
          hlf_date: "2025-02-03",
          hlf_kind: 100000001,
          hlf_hours: 2,
          hlf_peoplereached: 8,
          hlf_localchapter: "Oslo",
          hlf_meanderid: "a-1",
        },
      },
    ]);
  });

  it("never writes to Meander: a portal edit is not read back but put back from Meander, a portal record alone creates nothing", () => {
    const plan = planPair(activities, { link: activityLink, meander: unchanged, portal: present(activityPortal({ hlf_hours: 5 })) }, { lookups });
    expect(plan.actions.map((a) => a.side)).toEqual(["portal"]);
    expect(plan.reasserted).toEqual({ portal: ["hours"] });
    expect(planPair(activities, { meander: { state: "absent" }, portal: present(activityPortal()) }, { lookups }).outcome).toBe("skip");
  });

  it("sends a changed lookup as a new binding", () => {
    const plan = planPair(
      activities,
      { link: activityLink, meander: present(activity({ likepersonId: "m-2" })), portal: unchanged },
      { lookups: new Map([["m-2", "p-2"]]) },
    );
    expect(plan.actions).toEqual([{ kind: "update", side: "portal", id: "pa-1", ifMatch: 'W/"5"', fields: { "hlf_ContactId@odata.bind": "/contacts(p-2)" } }]);
  });

  it("couples after a crashed create without writing what the portal already holds", () => {
    const plan = planPair(activities, { meander: present(activity()), portal: present(activityPortal()) }, { lookups });
    expect(plan).toMatchObject({ outcome: "couple", actions: [] });
  });

  it("propagates a Meander delete; a portal delete only unlinks", () => {
    expect(planPair(activities, { link: activityLink, meander: { state: "deleted", id: "a-1" }, portal: unchanged }).actions).toEqual([
      { kind: "delete", side: "portal", id: "pa-1", ifMatch: 'W/"5"' },
    ]);
    expect(planPair(activities, { link: activityLink, meander: present(activity()), portal: { state: "deleted", id: "pa-1" } })).toMatchObject({
      outcome: "unlink",
      actions: [],
    });
  });
});
