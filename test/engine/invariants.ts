/** What must hold after any history, once the runs have settled. */
import { expect } from "vitest";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import type { Link } from "../../shared/core/types.js";
import type { MemoryEngine } from "../support/memory/engine.js";
import type { Played } from "./drive.js";
import { config, EDITED, recordsOf } from "./history.js";

export async function linksOf(e: MemoryEngine): Promise<Link[]> {
  const links: Link[] = [];
  for await (const link of e.state.listLinks("likepersons")) links.push(link);
  return links;
}

export async function checkInvariants(e: MemoryEngine, played: Played): Promise<void> {
  const links = await linksOf(e);
  // Nobody has two partners, and nobody exists twice on a side.
  expect(new Set(links.map((l) => l.meanderId)).size).toBe(links.length);
  expect(new Set(links.map((l) => l.portalId)).size).toBe(links.length);
  for (let n = 0; n < played.people; n++) {
    expect({ n, meander: recordsOf(e, "meander", n).length <= 1, portal: recordsOf(e, "portal", n).length <= 1 }).toEqual({ n, meander: true, portal: true });
  }
  // Every pair: both records alive, both link fields set, mapped values equal on both sides.
  for (const link of links) {
    const m = e.meander.get("likepersons", link.meanderId);
    const p = e.portal.get("contacts", link.portalId);
    expect({ link: link.meanderId, m: Boolean(m), p: Boolean(p) }).toEqual({ link: link.meanderId, m: true, p: true });
    expect([m!.data.portalContactId, p!.data.hlf_meanderid]).toEqual([link.portalId, link.meanderId]);
    const mv = canonicalFromMeander(config, m!.data);
    const pv = canonicalFromPortal(config, p!.data);
    for (const [key, v] of Object.entries(pv)) if (key in mv) expect([key, mv[key]]).toEqual([key, v]);
  }
  // Everyone alive is in a pair, but for people deleted on a side: the survivor of a deletion
  // is unlinked by policy, or kept unlinked when it was edited meanwhile (never deleted then).
  const linked = { meander: new Set(links.map((l) => l.meanderId)), portal: new Set(links.map((l) => l.portalId)) };
  for (let n = 0; n < played.people; n++) {
    if (played.gone.has(n) || played.orphaned.has(n)) continue;
    for (const s of ["meander", "portal"] as const) {
      for (const r of recordsOf(e, s, n)) expect({ n, s, id: r.id, linked: linked[s].has(r.id) }).toEqual({ n, s, id: r.id, linked: true });
    }
  }
  // No edit lost: the last edit of each person on each side is on both sides.
  for (const { side, person, value } of played.edits.values()) {
    if (played.gone.has(person) || played.orphaned.has(person)) continue;
    const [m] = recordsOf(e, "meander", person);
    const [p] = recordsOf(e, "portal", person);
    if (!m || !p) continue;
    const key = EDITED[side].key;
    const expected = side === "meander" ? canonicalFromMeander(config, { ...m.data, ...EDITED.meander.patch(value) })[key] : `City${value}`;
    expect({ person, side, meander: canonicalFromMeander(config, m.data)[key], portal: canonicalFromPortal(config, p.data)[key] }).toEqual({
      person,
      side,
      meander: expected,
      portal: expected,
    });
  }
}
