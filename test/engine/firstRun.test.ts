/** First runs of the real engine over in-memory ports: coupling, creating, link fields, idle re-runs. */
import { describe, expect, it } from "vitest";
import { kari, meanderData, type Person, portalData } from "../core/fixtures.js";
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
});
