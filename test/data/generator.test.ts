import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type DatasetOptions, generateDataset } from "../../sim/data/generator.js";
import { PLACES } from "../../sim/data/tables.js";
import { startMeanderSim } from "../../sim/meander/index.js";

const options: DatasetOptions = {
  seed: 20261126,
  people: 400,
  overlap: 0.8,
  portalOnlyMembers: 300,
  conflictingShare: 0.1,
  formatNoiseShare: 0.25,
  ambiguousShare: 0.03,
  activitiesPerPerson: 1.5,
  canaries: 3,
};

const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");
const memberKey = (n: string | null) => (n === null ? null : n.replace(/^0+/, ""));
const emailKey = (e: string) => e.toLowerCase();
const digits = (phone: string) => phone.replace(/\D/g, "").replace(/^(00)?47(?=\d{8}$)/, "");

describe("synthetic HLF data", () => {
  const data = generateDataset(options);

  it("every contact carries Dataverse's state; inactive and merged contacts only where asked", () => {
    expect(data.portal.contacts.every((c) => c.statecode === 0 && c.statuscode === 1)).toBe(true);
    const more = generateDataset({ ...options, inactiveMatches: 2, mergedContacts: 1 });
    expect(more.truth.inactive).toHaveLength(2);
    expect(more.truth.merged).toHaveLength(1);
    const byId = new Map(more.portal.contacts.map((c) => [c.contactid, c]));
    const likepersons = new Map(more.meander.likepersons.map((m) => [m.id, m]));
    for (const { meanderId, portalId } of more.truth.inactive) {
      expect(byId.get(portalId)).toMatchObject({ statecode: 1, statuscode: 2, hlf_membernumber: likepersons.get(meanderId)?.memberNumber });
    }
    const [merged] = more.truth.merged;
    expect(byId.get(merged!.mergedId)).toMatchObject({ statecode: 1, merged: true, _masterid_value: merged!.masterId });
    expect(byId.get(merged!.masterId)).toMatchObject({ statecode: 0, hlf_membernumber: likepersons.get(merged!.meanderId)?.memberNumber });
  });

  it("is the same for the same seed (pinned digest) and different for another", () => {
    expect(sha256(generateDataset(options))).toBe(sha256(data));
    // Changing the generator changes this digest on purpose: other tests rely on these exact people.
    // Last changed when contacts got Dataverse's statecode/statuscode and the truth its inactive and merged lists.
    expect(sha256(data)).toBe("090e636d273e2d4a4825dbf387244231541fd1920947ba9486e40ae1133f328d");
    expect(sha256(generateDataset({ ...options, seed: 1 }))).not.toBe(sha256(data));
  });

  it("places people on both sides, one side, or as ambiguous duplicates in the asked shares", () => {
    const { truth } = data;
    const likepersons = options.people + options.canaries!;
    const both = truth.pairs.length + truth.ambiguous.length;
    expect(both / options.people).toBeCloseTo(0.8, 1);
    expect(truth.ambiguous.length).toBe(Math.round(options.people * options.ambiguousShare!));
    expect(truth.meanderOnly.length + truth.portalOnly.length + both).toBe(likepersons);
    expect(Math.abs(truth.meanderOnly.length - truth.portalOnly.length)).toBeLessThanOrEqual(2);
    const kinds = (k: string) => truth.pairs.filter((p) => p.kind === k).length / truth.pairs.length;
    expect(kinds("conflict")).toBeGreaterThan(0.08);
    expect(kinds("conflict")).toBeLessThan(0.13);
    expect(kinds("noise")).toBeCloseTo(0.25, 1);
    expect(data.meander.likepersons).toHaveLength(likepersons - truth.portalOnly.length);
    expect(data.portal.contacts.filter((c) => c.hlf_likepersonstatus === null)).toHaveLength(options.portalOnlyMembers!);
    expect(data.meander.activities.length / data.meander.likepersons.length).toBeGreaterThan(1.3);
    expect(data.meander.activities.length / data.meander.likepersons.length).toBeLessThan(1.7);
    expect(data.portal.activities).toEqual([]);
  });

  it("lets pairs be found by member number or e-mail, as the truth says", () => {
    const contacts = new Map(data.portal.contacts.map((c) => [c.contactid, c]));
    const meander = new Map(data.meander.likepersons.map((m) => [m.id, m]));
    for (const pair of data.truth.pairs) {
      const m = meander.get(pair.meanderId)!;
      const c = contacts.get(pair.portalId)!;
      if (pair.matchBy === "memberNumber") expect(memberKey(c.hlf_membernumber)).toBe(memberKey(m.memberNumber));
      else expect(c.hlf_membernumber).toBeNull();
      expect(emailKey(c.emailaddress1)).toBe(emailKey(m.contact.email));
      if (pair.kind === "same")
        expect([c.firstname, c.lastname, c.address1_city, c.mobilephone]).toEqual([m.firstName, m.lastName, m.address.city, m.contact.mobile]);
      if (pair.kind === "noise") {
        expect(c.emailaddress1).not.toBe(m.contact.email);
        expect(c.mobilephone).not.toBe(m.contact.mobile);
        expect(digits(c.mobilephone)).toBe(digits(m.contact.mobile));
      }
      if (pair.kind === "conflict") {
        const differs = [
          c.lastname !== m.lastName,
          c.address1_city !== m.address.city || c.address1_postalcode !== m.address.postalCode,
          digits(c.mobilephone) !== digits(m.contact.mobile),
          c.hlf_likepersonstatus !== { active: 100000000, paused: 100000001, retired: 100000002 }[m.status],
        ];
        expect(differs.filter(Boolean)).toHaveLength(1);
      }
    }
    for (const { meanderId, portalIds } of data.truth.ambiguous) {
      const twins = portalIds.map((id) => contacts.get(id)!);
      expect(twins.map((t) => t.hlf_membernumber)).toEqual([null, null]);
      expect(new Set(twins.map((t) => emailKey(t.emailaddress1)))).toEqual(new Set([emailKey(meander.get(meanderId)!.contact.email)]));
    }
  });

  it("never gives two people the same member number or e-mail by accident", () => {
    const twins = new Set(data.truth.ambiguous.flatMap((a) => a.portalIds.slice(1)));
    const pairedContacts = new Set(data.truth.pairs.map((p) => p.portalId));
    const numbers = [
      ...data.meander.likepersons.map((m) => m.memberNumber),
      ...data.portal.contacts.filter((c) => !pairedContacts.has(c.contactid) && c.hlf_membernumber !== null).map((c) => c.hlf_membernumber!),
    ].map(memberKey);
    expect(new Set(numbers).size).toBe(numbers.length);
    const emails = [
      ...data.meander.likepersons.map((m) => m.contact.email),
      ...data.portal.contacts
        .filter((c) => !pairedContacts.has(c.contactid) && !data.truth.ambiguous.some((a) => a.portalIds.includes(c.contactid)))
        .map((c) => c.emailaddress1),
    ].map(emailKey);
    expect(new Set(emails).size).toBe(emails.length);
    expect(twins.size).toBe(data.truth.ambiguous.length);
  });

  it("looks like HLF data: Norwegian names, +47 mobiles, real postal codes, chapters, statuses", () => {
    const all = data.meander.likepersons;
    expect(all.some((m) => /[æøåÆØÅ]/.test(m.firstName + m.lastName))).toBe(true);
    const places = new Set(PLACES.map((p) => `${p.postalCode} ${p.city}`));
    for (const m of all) {
      expect(digits(m.contact.mobile)).toMatch(/^[49]\d{7}$/);
      expect(places.has(`${m.address.postalCode} ${m.address.city}`)).toBe(true);
      expect(m.chapter).toMatch(/^HLF /);
      expect(m.memberNumber).toMatch(/^\d{7}$/);
      expect(m.contact.email).toMatch(/^[a-z0-9.]+@[a-z.]+$/);
    }
    for (const c of data.portal.contacts) expect(c.contactid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const formats = new Set(data.portal.contacts.map((c) => c.mobilephone.replace(/\d/g, "9")));
    expect(formats.size).toBeGreaterThanOrEqual(5);
    expect(new Set(all.map((m) => m.status))).toEqual(new Set(["active", "paused", "retired"]));
    expect(all.some((m) => m.memberNumber.startsWith("00"))).toBe(true);
  });

  it("carries canaries on every path, with markers found nowhere else", () => {
    const { names, emails, phones } = data.canaries;
    expect(names).toHaveLength(6);
    expect(emails).toHaveLength(3);
    expect(phones).toHaveLength(3);
    const meanderText = JSON.stringify(data.meander.likepersons);
    const portalText = JSON.stringify(data.portal.contacts);
    expect(meanderText).toContain(emails[0]!);
    expect(portalText).toContain(emails[0]!);
    expect(meanderText).toContain(phones[1]!);
    expect(portalText).not.toContain(emails[1]!);
    expect(portalText).toContain(names[5]!);
    expect(meanderText).not.toContain(names[5]!);
    const withoutCanaries = JSON.stringify(generateDataset({ ...options, canaries: 0 }));
    for (const marker of [...names, ...emails]) expect(withoutCanaries).not.toContain(marker);
  });

  it("fits the Meander contract (the simulator accepts it as seed data)", async () => {
    const sim = await startMeanderSim({ limits: false });
    try {
      sim.store.seed("likepersons", data.meander.likepersons);
      sim.store.seed("activities", data.meander.activities);
      expect(sim.store.list("likepersons")).toHaveLength(data.meander.likepersons.length);
    } finally {
      await sim.close();
    }
  });

  it("scales to the portal's 70,000 members with unique ids", () => {
    const big = generateDataset({ seed: 7, people: 600, portalOnlyMembers: 70_000, activitiesPerPerson: 3 });
    expect(big.portal.contacts.length).toBeGreaterThan(70_000);
    expect(new Set(big.portal.contacts.map((c) => c.contactid)).size).toBe(big.portal.contacts.length);
  });
});
