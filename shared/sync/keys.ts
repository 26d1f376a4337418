/** Map keys of the run's owners: one spelling for "this record of this side" and "this pair". */
import type { Side } from "../core/types.js";

export const linkKey = (side: Side, id: string) => `${side === "meander" ? "m" : "p"}:${id}`;
export const pairKey = (meanderId: string, portalId: string) => `${linkKey("meander", meanderId)}|${linkKey("portal", portalId)}`;
export const ledgerKey = (side: Side, id: string) => `${side}:${id}`;
