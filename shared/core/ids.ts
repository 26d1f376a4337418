import { createHash } from "node:crypto";

/**
 * Deterministic id of a conflict, from its kind and the pair: re-detecting the same open
 * conflict replaces it instead of adding another. Safe in URLs and Table keys.
 */
export function conflictIdFor(
  kind: "field" | "fieldConflict" | "ambiguous" | "unmatched" | "confirmMatch" | "oscillation",
  meanderId: string | undefined,
  portalId: string | undefined,
): string {
  // Field conflicts keep the ids they had when the kind was called "field".
  const named = kind === "fieldConflict" ? "field" : kind;
  const digest = createHash("sha256")
    .update(JSON.stringify([named, meanderId ?? null, portalId ?? null]))
    .digest("base64url");
  return `${PREFIX[named]}-${digest.slice(0, 22)}`;
}

const PREFIX = { field: "f", ambiguous: "a", unmatched: "u", confirmMatch: "c", oscillation: "o" } as const;
