/**
 * The incremental scenario's changes, made as users would make them (tracked by both
 * simulators' change feeds): on linked pairs only, disjoint groups, seeded so that the
 * same data set always gets the same edits.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { PLACES } from "../sim/data/tables.js";
import type { DataverseSim } from "../sim/dataverse/index.js";
import type { MeanderSim } from "../sim/meander/index.js";
import { EDIT_SHARES, HLF_MEMBER_EDIT_SHARE } from "./params.js";

export interface EditSummary {
  /** Linked pairs the edits were drawn from. */
  readonly pairs: number;
  readonly meanderEdited: number;
  readonly portalEdited: number;
  /** Pairs edited on both sides in the same field: half a `newest` field (auto-resolved), half a `manual` one (parked). */
  readonly bothEdited: number;
  readonly meanderDeleted: number;
  readonly portalDeleted: number;
  /** hlf: ordinary members (outside the config's scope) the portal changed too. */
  readonly membersEdited?: number;
  /** hlf: activity reports added in Meander. */
  readonly activitiesAdded?: number;
}

interface Pair {
  readonly meanderId: string;
  readonly portalId: string;
}

const count = (pairs: number, share: number) => Math.max(1, Math.round(pairs * share));
/** An eight-digit Norwegian mobile number starting with `prefix`. */
const mobile = (i: number, prefix: string) => `${prefix}${String(i).padStart(8 - prefix.length, "0")}`;

export function applyEdits(dataverse: DataverseSim, meander: MeanderSim, seed: number): EditSummary {
  const pairs = linkedPairs(dataverse, meander);
  const rng = xoroshiro128plus(seed);
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = uniformInt(rng, 0, i);
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  const edited = count(pairs.length, EDIT_SHARES.editedEachSide);
  const both = count(pairs.length, EDIT_SHARES.editedBoth);
  const deleted = count(pairs.length, EDIT_SHARES.deleted);
  let next = 0;
  const take = (n: number) => {
    next += n;
    return pairs.slice(next - n, next);
  };

  take(edited).forEach((pair, i) => {
    // A new mobile number (owner: newest) or a status change (owner: Meander).
    if (i % 2 === 0) meander.store.edit("likepersons", pair.meanderId, { contact: { mobile: mobile(i, "4") } });
    else {
      const status = meander.store.get("likepersons", pair.meanderId)?.data.status;
      meander.store.edit("likepersons", pair.meanderId, { status: status === "active" ? "paused" : "active" });
    }
  });
  take(edited).forEach((pair) => {
    // The person moved (owner: portal).
    const row = dataverse.store.get("contacts", pair.portalId);
    const at = PLACES.findIndex((p) => p.postalCode === row?.address1_postalcode);
    const place = PLACES[(at + 1) % PLACES.length]!;
    dataverse.store.edit("contacts", pair.portalId, { address1_postalcode: place.postalCode, address1_city: place.city });
  });
  take(both).forEach((pair, i) => {
    if (i % 2 === 0) {
      meander.store.edit("likepersons", pair.meanderId, { contact: { mobile: mobile(i, "45") } });
      dataverse.store.edit("contacts", pair.portalId, { mobilephone: mobile(i, "95") });
    } else {
      meander.store.edit("likepersons", pair.meanderId, { chapter: "HLF Meander-side chapter" });
      dataverse.store.edit("contacts", pair.portalId, { hlf_localchapter: "HLF Portal-side chapter" });
    }
  });
  const gone = take(deleted);
  gone.forEach((pair, i) => {
    if (i % 2 === 0) meander.store.remove("likepersons", pair.meanderId);
    else dataverse.store.remove("contacts", pair.portalId);
  });
  return {
    pairs: pairs.length,
    meanderEdited: edited,
    portalEdited: edited,
    bothEdited: both,
    meanderDeleted: Math.ceil(gone.length / 2),
    portalDeleted: Math.floor(gone.length / 2),
  };
}

/** Pairs both sides agree on (each points at the other), in a stable order. */
function linkedPairs(dataverse: DataverseSim, meander: MeanderSim): Pair[] {
  const contacts = new Map<string, string>();
  for (const row of dataverse.store.list("contacts")) {
    if (typeof row.hlf_meanderid === "string" && row.hlf_likepersonstatus != null) contacts.set(row.hlf_meanderid, String(row.contactid));
  }
  const pairs: (Pair & { key: string })[] = [];
  for (const record of meander.store.list("likepersons")) {
    const portalId = record.data.portalContactId;
    if (typeof portalId === "string" && contacts.get(record.id) === portalId) {
      pairs.push({ meanderId: record.id, portalId, key: String(record.data.memberNumber ?? record.id) });
    }
  }
  return pairs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(({ meanderId, portalId }) => ({ meanderId, portalId }));
}

/**
 * The hlf scenario's other changes: membership work on ordinary members (2 %, outside the
 * likepersons scope, so nothing to sync but every one in the portal's change feed), and 50
 * new activity reports.
 */
export function editMembers(dataverse: DataverseSim, meander: MeanderSim, seed: number): Pick<EditSummary, "membersEdited" | "activitiesAdded"> {
  const members = dataverse.store.list("contacts").filter((row) => row.hlf_likepersonstatus == null);
  const rng = xoroshiro128plus(seed + 1);
  const n = Math.round(members.length * HLF_MEMBER_EDIT_SHARE);
  const picked = new Set<number>();
  while (picked.size < n) picked.add(uniformInt(rng, 0, members.length - 1));
  for (const i of picked) {
    const row = members[i]!;
    const at = PLACES.findIndex((p) => p.postalCode === row.address1_postalcode);
    const place = PLACES[(at + 1) % PLACES.length]!;
    dataverse.store.edit("contacts", String(row.contactid), { address1_postalcode: place.postalCode, address1_city: place.city });
  }
  const likepersons = meander.store.list("likepersons");
  let added = 0;
  for (let i = 0; i < 50 && likepersons.length > 0; i++) {
    const lp = likepersons[uniformInt(rng, 0, likepersons.length - 1)]!;
    meander.store.create("activities", {
      likepersonId: lp.id,
      date: "2026-11-30",
      kind: "conversation",
      hours: 1,
      peopleReached: 1 + (i % 3),
      chapter: String(lp.data.chapter ?? ""),
    });
    added += 1;
  }
  return { membersEdited: n, activitiesAdded: added };
}
