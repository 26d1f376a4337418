/**
 * The state, run and lock stores in memory, with the contracts of the Table Storage adapters
 * (test/contracts runs the same suite against both): links as two rows, one per side; ledger
 * and conflicts by key; runs newest first; the lease row written only on a matching ETag.
 */
import type { Link, Side, SyncRun } from "../../../shared/core/types.js";
import type {
  AcquireResult,
  Clock,
  ConfigControl,
  ConflictRecord,
  ConflictStatus,
  Lease,
  LedgerEntry,
  LockStore,
  RunStore,
  StateStore,
} from "../../../shared/ports.js";

const copy = <T>(value: T): T => structuredClone(value);
const rowOf = (side: Side, id: string) => `${side === "meander" ? "m" : "p"}:${id}`;

export class MemoryStateStore implements StateStore {
  private readonly links = new Map<string, Map<string, Link>>();
  private readonly ledger = new Map<string, Map<string, LedgerEntry>>();
  private readonly conflicts = new Map<string, Map<string, ConflictRecord>>();

  async getLinks(configId: string, refs: readonly { side: Side; id: string }[]): Promise<Link[]> {
    const rows = this.rows(this.links, configId);
    const found = new Map<string, Link>();
    for (const ref of refs) {
      const link = rows.get(rowOf(ref.side, ref.id));
      if (link) found.set(`${link.meanderId}|${link.portalId}`, copy(link));
    }
    return [...found.values()];
  }

  async putLinks(configId: string, links: readonly Link[]): Promise<void> {
    const rows = this.rows(this.links, configId);
    for (const link of links) {
      rows.set(rowOf("meander", link.meanderId), copy(link));
      rows.set(rowOf("portal", link.portalId), copy(link));
    }
  }

  /** Only rows that still hold the pair: a record re-coupled meanwhile keeps its new row. */
  async deleteLinks(configId: string, links: readonly Pick<Link, "meanderId" | "portalId">[]): Promise<void> {
    const rows = this.rows(this.links, configId);
    for (const l of links) {
      for (const row of [rowOf("meander", l.meanderId), rowOf("portal", l.portalId)]) {
        const stored = rows.get(row);
        if (stored?.meanderId === l.meanderId && stored.portalId === l.portalId) rows.delete(row);
      }
    }
  }

  async *listLinks(configId: string): AsyncIterable<Link> {
    for (const [row, link] of [...this.rows(this.links, configId)]) if (row.startsWith("m:")) yield copy(link);
  }

  async listLedger(configId: string): Promise<LedgerEntry[]> {
    return [...this.rows(this.ledger, configId).values()].map(copy);
  }

  async putLedger(configId: string, entries: readonly LedgerEntry[]): Promise<void> {
    for (const entry of entries) this.rows(this.ledger, configId).set(`${entry.side}:${entry.recordId}`, copy(entry));
  }

  async deleteLedger(configId: string, keys: readonly { side: Side; recordId: string }[]): Promise<void> {
    for (const k of keys) this.rows(this.ledger, configId).delete(`${k.side}:${k.recordId}`);
  }

  async listConflicts(configId: string, status?: ConflictStatus): Promise<ConflictRecord[]> {
    return [...this.rows(this.conflicts, configId).values()].filter((c) => !status || c.status === status).map(copy);
  }

  async getConflict(configId: string, conflictId: string): Promise<ConflictRecord | undefined> {
    const found = this.rows(this.conflicts, configId).get(conflictId);
    return found && copy(found);
  }

  async putConflicts(configId: string, conflicts: readonly ConflictRecord[]): Promise<void> {
    for (const c of conflicts) this.rows(this.conflicts, configId).set(c.conflictId, copy(c));
  }

  private rows<T>(tables: Map<string, Map<string, T>>, configId: string): Map<string, T> {
    const rows = tables.get(configId) ?? new Map<string, T>();
    tables.set(configId, rows);
    return rows;
  }
}

export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, SyncRun>();

  async saveRun(run: SyncRun): Promise<void> {
    this.runs.set(`${run.configId}/${run.runId}`, copy(run));
  }

  async listRuns(configId: string, limit: number): Promise<SyncRun[]> {
    return [...this.runs.values()]
      .filter((r) => r.configId === configId)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
      .slice(0, limit)
      .map(copy);
  }

  async getRun(configId: string, runId: string): Promise<SyncRun | undefined> {
    const run = this.runs.get(`${configId}/${runId}`);
    return run && copy(run);
  }

  async purgeRuns(configId: string, before: Date): Promise<number> {
    let purged = 0;
    for (const [key, run] of this.runs) {
      if (run.configId === configId && Date.parse(run.startedAt) < before.getTime()) {
        this.runs.delete(key);
        purged += 1;
      }
    }
    return purged;
  }
}

interface LeaseRow {
  readonly runId: string;
  readonly expiresAt: Date;
  readonly released: boolean;
  readonly control: ConfigControl;
  readonly etag: string;
}

/** The lease row of each config; every write is conditional on the ETag the writer last saw. */
export class MemoryLockStore implements LockStore {
  private readonly rows = new Map<string, LeaseRow>();
  private etags = 0;

  constructor(private readonly clock: Clock) {}

  async acquire(configId: string, runId: string, leaseMs: number, peerIds: readonly string[] = []): Promise<AcquireResult> {
    const current = this.rows.get(configId);
    const now = this.clock.now();
    if (current && current.expiresAt.getTime() > now.getTime()) return { acquired: false, heldBy: current.runId, expiresAt: current.expiresAt };
    const row = this.write(configId, { runId, expiresAt: new Date(now.getTime() + leaseMs), released: false, control: current?.control ?? {} });
    const crashed = current && !current.released && current.runId ? { tookOverFrom: current.runId } : {};
    const peers = Object.fromEntries(peerIds.flatMap((id) => (id !== configId && this.rows.has(id) ? [[id, copy(this.rows.get(id)!.control)]] : [])));
    return {
      acquired: true,
      lease: { configId, runId, expiresAt: row.expiresAt, etag: row.etag },
      control: copy(row.control),
      ...crashed,
      ...(peerIds.length ? { peers } : {}),
    };
  }

  async renew(lease: Lease, leaseMs: number, control?: ConfigControl): Promise<Lease | undefined> {
    const current = this.owned(lease);
    if (!current) return undefined;
    const expiresAt = new Date(this.clock.now().getTime() + leaseMs);
    const row = this.write(lease.configId, { ...current, expiresAt, control: control ? copy(control) : current.control });
    return { ...lease, expiresAt, etag: row.etag };
  }

  async release(lease: Lease, control?: ConfigControl): Promise<boolean> {
    const current = this.owned(lease);
    if (!current) return false;
    this.write(lease.configId, { ...current, expiresAt: this.clock.now(), released: true, control: control ? copy(control) : current.control });
    return true;
  }

  async readControl(configId: string): Promise<ConfigControl | undefined> {
    const row = this.rows.get(configId);
    return row && copy(row.control);
  }

  /** The row if this lease still is its latest write (If-Match). */
  private owned(lease: Lease): LeaseRow | undefined {
    const current = this.rows.get(lease.configId);
    return current?.etag === lease.etag ? current : undefined;
  }

  private write(configId: string, row: Omit<LeaseRow, "etag">): LeaseRow {
    this.etags += 1;
    const stored = { ...row, etag: `W/"${this.etags}"` };
    this.rows.set(configId, stored);
    return stored;
  }
}
