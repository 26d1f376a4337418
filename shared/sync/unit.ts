/** The unit of work the loop hands to pairing, and what pairing hands to applying. */
import type { Link, Resolution, Side, SideRecord, SideView } from "../core/types.js";

/** One changed record (or a deletion) read from a feed or re-read by id. */
export interface UnitItem {
  readonly side: Side;
  readonly id: string;
  readonly view: SideView;
}

export type PairTask =
  | {
      readonly kind: "pair";
      readonly item: UnitItem;
      readonly link?: Link;
      readonly meander: SideView;
      readonly portal: SideView;
      readonly resolutions?: readonly Resolution[];
      /** The open conflict these resolutions settle. */
      readonly conflictId?: string;
    }
  | { readonly kind: "ambiguous"; readonly item: UnitItem; readonly candidates: readonly string[] }
  | { readonly kind: "skip"; readonly item: UnitItem };

export type PairOf = Extract<PairTask, { kind: "pair" }>;

/** Unmatched items are present records by construction (see pairUnit). */
export const recordOf = (item: UnitItem): SideRecord => (item.view as { record: SideRecord }).record;
