/**
 * The member register's review items add optional details: the record the item is about
 * (`subject`) and each candidate (`candidateDetails`), with their distinguishing values and
 * a link into their own system. Read defensively, so items without them still render.
 */
import type { ConflictRecord, Scalar, Side } from "../api.js";

export interface Party {
  readonly side?: Side;
  readonly id: string;
  readonly url?: string;
  readonly values?: Readonly<Record<string, Scalar>>;
  readonly active?: boolean;
}

const isScalar = (v: unknown): v is Scalar => v === null || ["string", "number", "boolean"].includes(typeof v);

function asParty(value: unknown): Party | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== "string") return undefined;
  // Only http(s) links: a stored value never becomes a javascript: URL in the page.
  const url = typeof v.url === "string" && /^https?:\/\//i.test(v.url) ? v.url : undefined;
  const values =
    v.values && typeof v.values === "object"
      ? Object.fromEntries(Object.entries(v.values as Record<string, unknown>).filter((entry): entry is [string, Scalar] => isScalar(entry[1])))
      : undefined;
  return {
    id: v.id,
    ...(v.side === "meander" || v.side === "portal" ? { side: v.side } : {}),
    ...(url ? { url } : {}),
    ...(values ? { values } : {}),
    ...(typeof v.active === "boolean" ? { active: v.active } : {}),
  };
}

export function subjectOf(item: ConflictRecord): Party | undefined {
  const detailed = asParty((item as Record<string, unknown>).subject);
  if (detailed) return detailed;
  if (item.candidates?.length) {
    if (item.meanderId && !item.portalId) return { side: "meander", id: item.meanderId };
    if (item.portalId && !item.meanderId) return { side: "portal", id: item.portalId };
  }
  return undefined;
}

/** The candidates in `candidates` order, with their details where the item has them. */
export function candidatesOf(item: ConflictRecord): Party[] {
  const details = (item as Record<string, unknown>).candidateDetails;
  const parsed = Array.isArray(details) ? details.map(asParty).filter((p): p is Party => p !== undefined) : [];
  const subject = subjectOf(item);
  const otherSide: Side | undefined = subject?.side === "meander" ? "portal" : subject?.side === "portal" ? "meander" : undefined;
  return (item.candidates ?? []).map((id) => parsed.find((p) => p.id === id) ?? { id, ...(otherSide ? { side: otherSide } : {}) });
}

/** The links a field conflict's two records have, where the item carries them. */
export function recordUrl(item: ConflictRecord, side: Side): string | undefined {
  const subject = subjectOf(item);
  if (subject?.side === side) return subject.url;
  return candidatesOf(item).find((c) => c.side === side && (side === "meander" ? c.id === item.meanderId : c.id === item.portalId))?.url;
}
