/**
 * Synthetic HLF data for both systems, seeded with pure-rand: the same options give the
 * same data, at any size. People are drawn first; then each is placed on one side or
 * both, with format noise, conflicting values or ambiguous portal duplicates as asked.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { asciiFold, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, LIKEPERSON_STATUS_CODES, type LikepersonStatus, PHONE_FORMATS, PLACES } from "./tables.js";

export interface DatasetOptions {
  seed: number;
  /** Likepersons in all: on both sides, only in Meander, or only in the portal. */
  people: number;
  /** Share of `people` on both sides (the rest is split between Meander only and portal only). */
  overlap?: number;
  /** Ordinary members: portal contacts without a likeperson status. */
  portalOnlyMembers?: number;
  /** Share of the pairs whose portal contact holds a different value (moved, new number...). */
  conflictingShare?: number;
  /** Share of the pairs whose values agree but are written differently (e-mail case, phone format, member number zeros). */
  formatNoiseShare?: number;
  /** Share of `people` found in the portal only as two contacts with the same e-mail and no member number. */
  ambiguousShare?: number;
  /** Activity reports per Meander likeperson (fractions round randomly). */
  activitiesPerPerson?: number;
  /** Extra people with marker values, for tests that prove no personal data reaches logs. */
  canaries?: number;
  /** Likepersons in Meander whose only portal contact is inactive (statecode 1: resigned, deceased): never a match. */
  inactiveMatches?: number;
  /** Likepersons whose member had two contacts that were merged: an inactive merged-away one (masterid) and the active master. */
  mergedContacts?: number;
}

export interface MeanderLikeperson {
  id: string;
  memberNumber: string;
  firstName: string;
  lastName: string;
  contact: { email: string; mobile: string };
  address: { postalCode: string; city: string };
  chapter: string;
  status: LikepersonStatus;
  trainingCompletedOn: string | null;
  portalContactId: string | null;
  [key: string]: unknown;
}

export interface MeanderActivity {
  id: string;
  likepersonId: string;
  date: string;
  kind: "conversation" | "group" | "phone" | "event";
  hours: number;
  peopleReached: number;
  chapter: string;
  [key: string]: unknown;
}

export interface PortalContact {
  contactid: string;
  firstname: string;
  lastname: string;
  emailaddress1: string;
  mobilephone: string;
  address1_postalcode: string;
  address1_city: string;
  hlf_membernumber: string | null;
  hlf_localchapter: string;
  hlf_likepersonstatus: number | null;
  hlf_trainingcompletedon: string | null;
  hlf_meanderid: string | null;
  /** Dataverse's state: 0 Active, 1 Inactive (statuscode 1 Active, 2 Inactive). */
  statecode: 0 | 1;
  statuscode: 1 | 2;
  /** Set on a contact merged into another: `merged` true and `_masterid_value` naming the survivor. */
  merged?: boolean;
  _masterid_value?: string;
  [key: string]: unknown;
}

export type PairKind = "same" | "noise" | "conflict";

export interface Dataset {
  meander: { likepersons: MeanderLikeperson[]; activities: MeanderActivity[] };
  portal: { contacts: PortalContact[]; activities: [] };
  canaries: { names: string[]; emails: string[]; phones: string[] };
  /** What a correct sync should find: for tests, never for the code under test. */
  truth: {
    pairs: { meanderId: string; portalId: string; kind: PairKind; matchBy: "memberNumber" | "email" }[];
    ambiguous: { meanderId: string; portalIds: [string, string] }[];
    meanderOnly: string[];
    portalOnly: string[];
    /** A Meander likeperson and the inactive contact with its member number: the likeperson is unmatched. */
    inactive: { meanderId: string; portalId: string }[];
    /** A Meander likeperson, its member's surviving contact and the contact merged into it. */
    merged: { meanderId: string; masterId: string; mergedId: string }[];
  };
}

interface Person {
  first: string;
  last: string;
  email: string;
  mobile: string;
  phoneFormat: number;
  place: (typeof PLACES)[number];
  memberNumber: string;
  status: LikepersonStatus;
  trainingCompletedOn: string | null;
}

const STATUSES: readonly [LikepersonStatus, number][] = [
  ["active", 75],
  ["paused", 15],
  ["retired", 10],
];
const KINDS: readonly MeanderActivity["kind"][] = ["conversation", "group", "phone", "event"];
const DAY = 86_400_000;
const TRAINING_FROM = Date.UTC(2015, 0, 1);
const TRAINING_DAYS = 3_950;
const ACTIVITY_FROM = Date.UTC(2025, 0, 1);

/** Seeded draws (pure-rand): the same seed gives the same sequence. */
export class Draw {
  private readonly rng: RandomGenerator;
  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }
  weighted<T>(items: readonly [T, number][]): T {
    let roll = this.int(
      1,
      items.reduce((sum, [, w]) => sum + w, 0),
    );
    for (const [item, weight] of items) {
      roll -= weight;
      if (roll <= 0) return item;
    }
    return items[0]![0];
  }
  uuid(): string {
    const hex = [0, 1, 2, 3].map(() => (this.int(0, 0xffff_ffff) >>> 0).toString(16).padStart(8, "0")).join("");
    const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
  letters(n: number): string {
    return Array.from({ length: n }, () => String.fromCharCode(this.int(65, 90))).join("");
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function generateDataset(options: DatasetOptions): Dataset {
  const o = {
    overlap: 0.8,
    portalOnlyMembers: 0,
    conflictingShare: 0.1,
    formatNoiseShare: 0.2,
    ambiguousShare: 0.02,
    activitiesPerPerson: 2,
    canaries: 0,
    ...options,
  };
  const draw = new Draw(o.seed);
  const memberNumbers = new Set<string>();
  const emails = new Set<string>();
  const mobiles = new Set<string>();

  const unique = (taken: Set<string>, make: () => string): string => {
    for (;;) {
      const value = make();
      if (!taken.has(value)) {
        taken.add(value);
        return value;
      }
    }
  };
  const newMobile = () => unique(mobiles, () => `${draw.pick(["4", "9"])}${String(draw.int(0, 9_999_999)).padStart(7, "0")}`);
  const newEmail = (first: string, last: string) =>
    unique(emails, () => {
      const style = draw.int(0, 3);
      const local =
        style === 0
          ? `${asciiFold(first)}.${asciiFold(last)}`
          : style === 1
            ? `${asciiFold(first)}${asciiFold(last)}${draw.int(1, 99)}`
            : `${asciiFold(first)[0]}${asciiFold(last)}${draw.int(1, 999)}`;
      return `${local}@${draw.pick(EMAIL_DOMAINS)}`;
    });

  const person = (): Person => {
    const first = draw.pick(FIRST_NAMES);
    const last = draw.pick(LAST_NAMES);
    return {
      first,
      last,
      email: newEmail(first, last),
      mobile: newMobile(),
      phoneFormat: draw.int(0, 2),
      place: draw.pick(PLACES),
      memberNumber: unique(memberNumbers, () => String(draw.int(1, 1_999_999)).padStart(7, "0")),
      status: draw.weighted(STATUSES),
      trainingCompletedOn: draw.chance(0.9) ? isoDay(TRAINING_FROM + draw.int(0, TRAINING_DAYS) * DAY) : null,
    };
  };

  const toMeander = (p: Person): MeanderLikeperson => ({
    id: draw.uuid(),
    memberNumber: p.memberNumber,
    firstName: p.first,
    lastName: p.last,
    contact: { email: p.email, mobile: PHONE_FORMATS[p.phoneFormat]!(p.mobile) },
    address: { postalCode: p.place.postalCode, city: p.place.city },
    chapter: p.place.chapter,
    status: p.status,
    trainingCompletedOn: p.trainingCompletedOn,
    portalContactId: null,
  });
  const toPortal = (p: Person, likeperson: boolean): PortalContact => ({
    contactid: draw.uuid(),
    firstname: p.first,
    lastname: p.last,
    emailaddress1: p.email,
    mobilephone: PHONE_FORMATS[p.phoneFormat]!(p.mobile),
    address1_postalcode: p.place.postalCode,
    address1_city: p.place.city,
    hlf_membernumber: p.memberNumber,
    hlf_localchapter: p.place.chapter,
    hlf_likepersonstatus: likeperson ? LIKEPERSON_STATUS_CODES[p.status] : null,
    hlf_trainingcompletedon: likeperson ? p.trainingCompletedOn : null,
    hlf_meanderid: null,
    statecode: 0,
    statuscode: 1,
  });
  const deactivate = (c: PortalContact): PortalContact => Object.assign(c, { statecode: 1, statuscode: 2 } as const);

  const people = Array.from({ length: o.people }, person);
  const both = Math.min(o.people, Math.round(o.people * o.overlap));
  const ambiguousCount = Math.min(both, Math.round(o.people * o.ambiguousShare));
  const pairCount = both - ambiguousCount;
  const conflictCount = Math.min(pairCount, Math.round(pairCount * o.conflictingShare));
  const noiseCount = Math.min(pairCount - conflictCount, Math.round(pairCount * o.formatNoiseShare));
  const meanderOnlyCount = Math.ceil((o.people - both) / 2);
  const order = draw.shuffle(people.map((_, i) => i));

  const data: Dataset = {
    meander: { likepersons: [], activities: [] },
    portal: { contacts: [], activities: [] },
    canaries: { names: [], emails: [], phones: [] },
    truth: { pairs: [], ambiguous: [], meanderOnly: [], portalOnly: [], inactive: [], merged: [] },
  };
  const addMeanderOnly = (p: Person) => {
    const m = toMeander(p);
    data.meander.likepersons.push(m);
    data.truth.meanderOnly.push(m.id);
  };
  const addPortalOnly = (p: Person) => {
    const c = toPortal(p, true);
    data.portal.contacts.push(c);
    data.truth.portalOnly.push(c.contactid);
  };
  const addPair = (p: Person, kind: PairKind) => {
    const m = toMeander(p);
    const c = toPortal(p, true);
    if (kind === "noise") makeNoise(draw, p, c);
    if (kind === "conflict") makeConflict(draw, p, c, newMobile);
    // Some contacts never got their member number: only the e-mail can couple them.
    const emailOnly = kind !== "conflict" && draw.chance(0.15);
    if (emailOnly) c.hlf_membernumber = null;
    data.meander.likepersons.push(m);
    data.portal.contacts.push(c);
    data.truth.pairs.push({ meanderId: m.id, portalId: c.contactid, kind, matchBy: emailOnly ? "email" : "memberNumber" });
  };

  order.forEach((index, rank) => {
    const p = people[index]!;
    if (rank < ambiguousCount) {
      const m = toMeander(p);
      const twins = [toPortal(p, true), toPortal(p, true)] as const;
      for (const twin of twins) twin.hlf_membernumber = null;
      twins[1].emailaddress1 = p.email.toUpperCase();
      data.meander.likepersons.push(m);
      data.portal.contacts.push(...twins);
      data.truth.ambiguous.push({ meanderId: m.id, portalIds: [twins[0].contactid, twins[1].contactid] });
    } else if (rank < ambiguousCount + conflictCount) addPair(p, "conflict");
    else if (rank < ambiguousCount + conflictCount + noiseCount) addPair(p, "noise");
    else if (rank < both) addPair(p, "same");
    else if (rank < both + meanderOnlyCount) addMeanderOnly(p);
    else addPortalOnly(p);
  });

  for (let i = 0; i < o.canaries; i++) {
    const token = draw.letters(5);
    const p: Person = { ...person(), first: `Kanari${token}`, last: `Sporbar${token}`, email: `kanari.${token.toLowerCase()}@canary.example`, phoneFormat: 0 };
    data.canaries.names.push(p.first, p.last);
    data.canaries.emails.push(p.email);
    data.canaries.phones.push(p.mobile);
    // Canaries take every path: a pair whose values must flow, Meander only, portal only.
    if (i % 3 === 0) {
      const m = toMeander(p);
      const c = toPortal(p, true);
      const moved = PLACES[(PLACES.indexOf(p.place) + 1) % PLACES.length]!;
      c.address1_postalcode = moved.postalCode;
      c.address1_city = moved.city;
      data.meander.likepersons.push(m);
      data.portal.contacts.push(c);
      data.truth.pairs.push({ meanderId: m.id, portalId: c.contactid, kind: "conflict", matchBy: "memberNumber" });
    } else if (i % 3 === 1) addMeanderOnly(p);
    else addPortalOnly(p);
  }

  for (let i = 0; i < o.portalOnlyMembers; i++) data.portal.contacts.push(toPortal(person(), false));
  for (let i = 0; i < (o.inactiveMatches ?? 0); i++) {
    const p = person();
    const m = toMeander(p);
    const c = deactivate(toPortal(p, true));
    data.meander.likepersons.push(m);
    data.portal.contacts.push(c);
    data.truth.inactive.push({ meanderId: m.id, portalId: c.contactid });
  }
  for (let i = 0; i < (o.mergedContacts ?? 0); i++) {
    const p = person();
    const m = toMeander(p);
    const master = toPortal(p, true);
    const mergedAway = deactivate(toPortal(p, true));
    mergedAway.merged = true;
    mergedAway._masterid_value = master.contactid;
    // Coupled before the CRM merged the member's two contacts: both records still name each other.
    mergedAway.hlf_meanderid = m.id;
    m.portalContactId = mergedAway.contactid;
    data.meander.likepersons.push(m);
    data.portal.contacts.push(master, mergedAway);
    data.truth.merged.push({ meanderId: m.id, masterId: master.contactid, mergedId: mergedAway.contactid });
  }
  // Lists in category order would let a test pass by position; real exports are in no such order.
  draw.shuffle(data.meander.likepersons);
  draw.shuffle(data.portal.contacts);

  for (const lp of data.meander.likepersons) {
    const whole = Math.floor(o.activitiesPerPerson);
    const count = whole + (draw.chance(o.activitiesPerPerson - whole) ? 1 : 0);
    for (let k = 0; k < count; k++) data.meander.activities.push(activity(draw, lp));
  }
  return data;
}

function activity(draw: Draw, lp: MeanderLikeperson): MeanderActivity {
  const kind = draw.pick(KINDS);
  const reached = kind === "group" || kind === "event" ? draw.int(3, 40) : draw.int(1, 3);
  return {
    id: draw.uuid(),
    likepersonId: lp.id,
    date: isoDay(ACTIVITY_FROM + draw.int(0, 364) * DAY),
    kind,
    hours: draw.int(1, 8) / 2,
    peopleReached: reached,
    chapter: lp.chapter,
  };
}

/** Same values, written differently: e-mail case, phone format, member number without its leading zeros. */
function makeNoise(draw: Draw, p: Person, c: PortalContact): void {
  const [local = "", domain = ""] = p.email.split("@");
  c.emailaddress1 = `${local.charAt(0).toUpperCase()}${local.slice(1)}@${domain.toUpperCase()}`;
  c.mobilephone = PHONE_FORMATS[3 + draw.int(0, 2)]!(p.mobile);
  c.hlf_membernumber = p.memberNumber.replace(/^0+/, "");
}

/** One value that really differs, as when a person updated only one system. */
function makeConflict(draw: Draw, p: Person, c: PortalContact, newMobile: () => string): void {
  switch (draw.int(0, 3)) {
    case 0: {
      const moved = PLACES[(PLACES.indexOf(p.place) + draw.int(1, PLACES.length - 1)) % PLACES.length]!;
      c.address1_postalcode = moved.postalCode;
      c.address1_city = moved.city;
      break;
    }
    case 1:
      c.mobilephone = PHONE_FORMATS[p.phoneFormat]!(newMobile());
      break;
    case 2:
      c.lastname = LAST_NAMES[(LAST_NAMES.indexOf(p.last as (typeof LAST_NAMES)[number]) + draw.int(1, LAST_NAMES.length - 1)) % LAST_NAMES.length]!;
      break;
    default:
      c.hlf_likepersonstatus = LIKEPERSON_STATUS_CODES[p.status === "active" ? "paused" : "active"];
  }
}

/** The name the local stack imports. */
export type GenerateOptions = DatasetOptions;
