/** Map keys of the run's owners: one spelling for "this record of this side" and "this pair". */
import type { Side } from "../core/types.js";

export const linkKey = (side: Side, id: string) => `${side === "meander" ? "m" : "p"}:${id}`;
export const pairKey = (meanderId: string, portalId: string) => `${linkKey("meander", meanderId)}|${linkKey("portal", portalId)}`;
export const ledgerKey = (side: Side, id: string) => `${side}:${id}`;

/**
 * A map per side keyed by the record's own id. A run holds an entry per record it touched (on a
 * first run, every record): keying by the id it already holds makes no key string per entry.
 */
export class SideMap<V> {
  private readonly maps: Record<Side, Map<string, V>> = { meander: new Map(), portal: new Map() };

  get(side: Side, id: string): V | undefined {
    return this.maps[side].get(id);
  }

  has(side: Side, id: string): boolean {
    return this.maps[side].has(id);
  }

  set(side: Side, id: string, value: V): void {
    this.maps[side].set(id, value);
  }

  delete(side: Side, id: string): void {
    this.maps[side].delete(id);
  }

  /** The entries of one side, in insertion order. */
  entries(side: Side): IterableIterator<[string, V]> {
    return this.maps[side].entries();
  }
}
