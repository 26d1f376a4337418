/**
 * Records coupled or created in this run, each with the record it was paired with: never
 * given a second partner. The pairing is kept so that a record whose coupling failed (a
 * lost reply, a 412) and that comes back through the feed can be coupled to the same
 * partner again, instead of being parked as ambiguous against its own partner.
 */
import { otherSide, type Side } from "../core/types.js";
import { SideMap } from "./keys.js";

/** A record that gets a new partner created for it: its own claim. */
const CREATING = Symbol("creating");

export class Claims {
  /** Per record, its partner's id (on the other side), or CREATING. */
  private readonly claimed = new SideMap<string | typeof CREATING>();

  /** Whether `partner`'s record `id` was paired in this run with someone other than `self`. */
  claimedByOther(partner: Side, id: string, self: { side: Side; id: string }): boolean {
    const owner = this.claimed.get(partner, id);
    if (owner === undefined) return false;
    if (owner === CREATING) return self.side !== partner || self.id !== id;
    return self.side !== otherSide(partner) || self.id !== owner;
  }

  couple(a: { side: Side; id: string }, b: { side: Side; id: string }): void {
    this.claimed.set(b.side, b.id, a.id);
    this.claimed.set(a.side, a.id, b.id);
  }

  /** A record that gets a new partner created for it this run. */
  creating(self: { side: Side; id: string }): void {
    this.claimed.set(self.side, self.id, CREATING);
  }
}
