/**
 * Records coupled or created in this run, each with the record it was paired with: never
 * given a second partner. The pairing is kept so that a record whose coupling failed (a
 * lost reply, a 412) and that comes back through the feed can be coupled to the same
 * partner again, instead of being parked as ambiguous against its own partner.
 */
import type { Side } from "../core/types.js";
import { linkKey } from "./keys.js";

export class Claims {
  private readonly claimed = new Map<string, string>();

  /** Whether `partner`'s record `id` was paired in this run with someone other than `self`. */
  claimedByOther(partner: Side, id: string, self: { side: Side; id: string }): boolean {
    const owner = this.claimed.get(linkKey(partner, id));
    return owner !== undefined && owner !== linkKey(self.side, self.id);
  }

  couple(a: { side: Side; id: string }, b: { side: Side; id: string }): void {
    this.claimed.set(linkKey(b.side, b.id), linkKey(a.side, a.id));
    this.claimed.set(linkKey(a.side, a.id), linkKey(b.side, b.id));
  }

  /** A record that gets a new partner created for it this run. */
  creating(self: { side: Side; id: string }): void {
    this.claimed.set(linkKey(self.side, self.id), linkKey(self.side, self.id));
  }
}
