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
      /** A person asked for a new partner record (an `unmatched` item resolved with `partner: null`). */
      readonly forceCreate?: boolean;
      /** The side whose record came back into scope and couples with its old partner again (core/scopeReturn.ts). */
      readonly returning?: Side;
      /** The pair is the Meander record's old link moved to the contact its partner was merged into (merges.ts). */
      readonly moved?: MergeMove;
      /** A contact merged away still holds the Meander id in its link field (an alternate key): cleared before this pair's writes (merges.ts). */
      readonly release?: KeyRelease;
    }
  | {
      readonly kind: "ambiguous";
      readonly item: UnitItem;
      readonly candidates: readonly string[];
      /** The match key that found them, and the candidates' records where read: what a person sees to decide. */
      readonly by?: string;
      readonly candidateRecords?: readonly SideRecord[];
      /** Parked instead of moving a merged partner's link: the old link is dropped (merges.ts). */
      readonly moved?: MergeMove;
    }
  /** One candidate by a key that may not couple on its own (e-mail): a person confirms. */
  | { readonly kind: "confirmMatch"; readonly item: UnitItem; readonly candidate: SideRecord; readonly by: string }
  | { readonly kind: "skip"; readonly item: UnitItem };

/** A link whose portal record was merged into another: what moving it to the survivor replaces. */
export interface MergeMove {
  /** The stored link to the merged-away record, dropped once the move is saved. */
  readonly from: Link;
  readonly survivorId: string;
}

/** The record whose link field gives up the key, and the version it was read at. */
export interface KeyRelease {
  readonly id: string;
  readonly version?: string;
}

export type PairOf = Extract<PairTask, { kind: "pair" }>;

/** Unmatched items are present records by construction (see pairUnit). */
export const recordOf = (item: UnitItem): SideRecord => (item.view as { record: SideRecord }).record;
