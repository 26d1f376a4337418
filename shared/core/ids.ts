import { createHash } from "node:crypto";

/**
 * Deterministic id of a conflict, from its kind and the pair: re-detecting the same open
 * conflict replaces it instead of adding another. Safe in URLs and Table keys.
 */
export function conflictIdFor(kind: "field" | "ambiguous", meanderId: string | undefined, portalId: string | undefined): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([kind, meanderId ?? null, portalId ?? null]))
    .digest("base64url");
  return `${kind === "field" ? "f" : "a"}-${digest.slice(0, 22)}`;
}
