/** First runs of the real engine over in-memory ports: coupling, creating, link fields, idle re-runs. */
import { describe, expect, it } from "vitest";
import { COLLIDING, kari, meanderData, type Person, portalData } from "../core/fixtures.js";
import { memoryEngine } from "../support/memory/engine.js";

const ola: Person = { ...kari, firstName: "Ola", email: "ola@example.no", memberNumber: "23456", mobile: "+4790000001" };
const per: Person = { ...kari, firstName: "Per", email: "per@example.no", memberNumber: "34567", mobile: "+4790000002" };

describe("a first run on in-memory ports", () => {
  it("couples people found on both sides, creates the one-sided, and every pair names its partner on both sides", async () => {
    const e = memoryEngine();
    const mKari = e.meander.seed("likepersons", meanderData("", kari));
    const pKari = e.portal.seed("contacts", portalData("", { ...kari, email: "KARI.nordmann@example.no" }));
    const mOla = e.meander.seed("likepersons", meanderData("", ola));
    const pPer = e.portal.seed("contacts", portalData("", per));

    const result = await e.run();
    expect(result.errors).toEqual([]);
    expect(result.status).toBe("succeeded");
    const links = [];
    for await (const link of e.state.listLinks("likepersons")) links.push(link);
    expect(links).toHaveLength(3);
    expect(links.find((l) => l.meanderId === mKari)?.portalId).toBe(pKari);
    for (const link of links) {
      expect(e.meander.get("likepersons", link.meanderId)?.data.portalContactId).toBe(link.portalId);
      expect(e.portal.get("contacts", link.portalId)?.data.hlf_meanderid).toBe(link.meanderId);
    }
    expect(links.some((l) => l.meanderId === mOla)).toBe(true);
    expect(links.some((l) => l.portalId === pPer)).toBe(true);
  });

  it("a run after a run writes nothing", async () => {
    const e = memoryEngine();
    e.meander.seed("likepersons", meanderData("", kari));
    e.portal.seed("contacts", portalData("", per));
    await e.run();
    const before = e.meander.opsWritten + e.portal.opsWritten;
    const again = await e.run();
    expect(again.status).toBe("succeeded");
    expect(e.meander.opsWritten + e.portal.opsWritten).toBe(before);
  });

  it("a record whose e-mail only shares the key index's hash with a coupled contact's is created, not parked as ambiguous", async () => {
    const e = memoryEngine();
    const a: Person = { ...kari, email: COLLIDING[0], memberNumber: "70001", mobile: "+4790000011" };
    const b: Person = { ...kari, firstName: "Bodil", email: COLLIDING[1], memberNumber: "70002", mobile: "+4790000012" };
    const mA = e.meander.seed("likepersons", meanderData("", a));
    const pA = e.portal.seed("contacts", portalData("", a));
    const mB = e.meander.seed("likepersons", meanderData("", b));

    const result = await e.run();
    expect(result.status).toBe("succeeded");
    expect(result.conflicts.found).toBe(0);
    const links = new Map<string, string>();
    for await (const link of e.state.listLinks("likepersons")) links.set(link.meanderId, link.portalId);
    expect(links.get(mA)).toBe(pA);
    const created = links.get(mB);
    expect(created).toBeDefined();
    expect(created).not.toBe(pA);
    expect(e.portal.get("contacts", created!)?.data.emailaddress1).toBe(COLLIDING[1]);
  });
});
