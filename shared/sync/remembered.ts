/**
 * The last run's own writes, as it left them in the control row (echo.ts): per side, the
 * version each write answered and the records it deleted. This run consumes them.
 */
import type { Side } from "../core/types.js";
import type { ExpectedEchoes } from "../ports.js";

export class RememberedEchoes {
  private readonly versions: Record<Side, Map<string, string>>;
  private readonly deleted: Record<Side, Set<string>>;

  constructor(memory: Partial<Record<Side, ExpectedEchoes>>) {
    this.versions = {
      meander: new Map(Object.entries(memory.meander?.versions ?? {})),
      portal: new Map(Object.entries(memory.portal?.versions ?? {})),
    };
    this.deleted = { meander: new Set(memory.meander?.deleted ?? []), portal: new Set(memory.portal?.deleted ?? []) };
  }

  /** Records this run re-reads for a person's decision or the retry ledger: processed as always, whatever their version. */
  exclude(side: Side, ids: readonly string[]): void {
    for (const id of ids) {
      this.versions[side].delete(id);
      this.deleted[side].delete(id);
    }
  }

  /** The version the last run's write left this record at, if it wrote it. */
  version(side: Side, id: string): string | undefined {
    return this.versions[side].get(id);
  }

  /** Whether the last run deleted this record (its tombstone is that run's own). */
  deletedByLastRun(side: Side, id: string): boolean {
    return this.deleted[side].has(id);
  }
}
