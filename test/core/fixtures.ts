/** Records in both systems' shapes for the default configs, and the compiled configs. */
import { fileURLToPath } from "node:url";
import { loadConfigs } from "../../shared/config/syncConfig.js";
import type { CompiledConfig } from "../../shared/core/compile.js";
import { compileConfig } from "../../shared/core/compile.js";
import type { Canonical, Link, SideRecord, SideView } from "../../shared/core/types.js";

/**
 * The generic planner is tested on a two-way variant of the likeperson mapping (every member
 * field both ways, hard deletes allowed, unmatched records created): test/configs/two-way.
 * HLF's own configs (configs/, the portal master of member data) are `hlf` and `hlfActivities`.
 */
export const TWO_WAY_DIR = fileURLToPath(new URL("../configs/two-way", import.meta.url));
const twoWay = loadConfigs(TWO_WAY_DIR);
export const likepersons: CompiledConfig = compileConfig(twoWay.find((c) => c.id === "likepersons")!);
export const activities: CompiledConfig = compileConfig(twoWay.find((c) => c.id === "activities")!);
const configs = loadConfigs();
export const hlf: CompiledConfig = compileConfig(configs.find((c) => c.id === "likepersons")!);
export const hlfActivities: CompiledConfig = compileConfig(configs.find((c) => c.id === "activities")!);

/** Two e-mail addresses with the same 32-bit FNV-1a hash, the key index's (found by search over `person<n>@example.org`). */
export const COLLIDING = ["person99238@example.org", "person517802@example.org"] as const;

export interface Person {
  firstName: string;
  lastName: string;
  email: string | null;
  mobile: string | null;
  postalCode: string | null;
  city: string | null;
  chapter: string | null;
  memberNumber: string | null;
  status: "active" | "paused" | "retired";
  trainingCompletedOn: string | null;
}

export const kari: Person = {
  firstName: "Kari",
  lastName: "Nordmann",
  email: "kari.nordmann@example.no",
  mobile: "+4791234567",
  postalCode: "0150",
  city: "Oslo",
  chapter: "Oslo",
  memberNumber: "12345",
  status: "active",
  trainingCompletedOn: "2023-05-01",
};

const STATUS = { active: 100000000, paused: 100000001, retired: 100000002 } as const;

export function meanderData(id: string, p: Person, portalContactId: string | null = null): Record<string, unknown> {
  return {
    id,
    memberNumber: p.memberNumber,
    firstName: p.firstName,
    lastName: p.lastName,
    contact: { email: p.email, mobile: p.mobile },
    address: { postalCode: p.postalCode, city: p.city },
    chapter: p.chapter,
    status: p.status,
    trainingCompletedOn: p.trainingCompletedOn,
    portalContactId,
  };
}

export function portalData(id: string, p: Person, meanderId: string | null = null): Record<string, unknown> {
  return {
    contactid: id,
    firstname: p.firstName,
    lastname: p.lastName,
    emailaddress1: p.email,
    mobilephone: p.mobile,
    address1_postalcode: p.postalCode,
    address1_city: p.city,
    hlf_membernumber: p.memberNumber,
    hlf_localchapter: p.chapter,
    hlf_likepersonstatus: STATUS[p.status],
    hlf_trainingcompletedon: p.trainingCompletedOn,
    hlf_meanderid: meanderId,
    // Dataverse always returns the state: 0 Active.
    statecode: 0,
  };
}

export const baselineOf = (p: Person): Canonical => ({
  firstName: p.firstName,
  lastName: p.lastName,
  "contact.email": p.email,
  "contact.mobile": p.mobile,
  "address.postalCode": p.postalCode,
  "address.city": p.city,
  chapter: p.chapter,
  memberNumber: p.memberNumber,
  status: p.status,
  trainingCompletedOn: p.trainingCompletedOn,
});

export const present = (record: SideRecord): SideView => ({ state: "present", record });

export const meanderRecord = (p: Person, extra: Partial<SideRecord> = {}, id = "m-1"): SideRecord => ({
  id,
  version: "7",
  modifiedOn: "2025-01-01T10:00:00Z",
  data: meanderData(id, p, "p-1"),
  ...extra,
});

export const portalRecord = (p: Person, extra: Partial<SideRecord> = {}, id = "p-1"): SideRecord => ({
  id,
  version: 'W/"100"',
  modifiedOn: "2025-01-01T10:00:00Z",
  data: portalData(id, p, "m-1"),
  ...extra,
});

export const linkOf = (p: Person, extra: Partial<Link> = {}): Link => ({
  meanderId: "m-1",
  portalId: "p-1",
  baseline: baselineOf(p),
  meanderVersion: "7",
  portalVersion: 'W/"100"',
  ...extra,
});
