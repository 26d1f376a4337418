/**
 * The config's conflicts and what people decided about them: field values to apply to a pair,
 * partners chosen for an ambiguous match, and which records wait on an undecided ambiguity.
 */
import type { Resolution, Side } from "../core/types.js";
import { otherSide } from "../core/types.js";
import { type ConflictRecord, reviewKindOf, type StateStore } from "../ports.js";
import { linkKey, pairKey } from "./keys.js";

export interface PendingResolution {
  readonly conflictId: string;
  readonly resolutions: Resolution[];
}

export class Decisions {
  private readonly conflicts = new Map<string, ConflictRecord>();
  /** Decided field conflicts to apply, by `m:<id>|p:<id>` of the pair. */
  private readonly resolutions = new Map<string, PendingResolution>();
  /** Decided ambiguous matches, by the ambiguous record: the partner id, or null for "create a new one". */
  private readonly partnerChoices = new Map<string, string | null>();
  /** The review item (ambiguous, unmatched, confirmMatch) each partner choice settles, by record. */
  private readonly partnerItems = new Map<string, string>();
  private ambiguityIndex?: Set<string>;

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
  ) {}

  /** Loads the conflicts; returns the ids of records whose decisions this run applies (to re-read). */
  async load(): Promise<Record<Side, string[]>> {
    const ids: Record<Side, string[]> = { meander: [], portal: [] };
    for (const conflict of await this.state.listConflicts(this.configId)) {
      this.conflicts.set(conflict.conflictId, conflict);
      if (conflict.status !== "resolved" || !conflict.resolution || conflict.resolution.appliedAt) continue;
      for (const [side, id] of this.queue(conflict)) ids[side].push(id);
    }
    return ids;
  }

  get(conflictId: string): ConflictRecord | undefined {
    return this.conflicts.get(conflictId);
  }

  remember(conflicts: readonly ConflictRecord[]): void {
    for (const conflict of conflicts) this.conflicts.set(conflict.conflictId, conflict);
  }

  get openCount(): number {
    return [...this.conflicts.values()].filter((c) => c.status === "open").length;
  }

  /** Open review items per kind. */
  get openByKind(): Record<string, number> {
    const byKind: Record<string, number> = {};
    for (const c of this.conflicts.values()) if (c.status === "open") byKind[reviewKindOf(c)] = (byKind[reviewKindOf(c)] ?? 0) + 1;
    return byKind;
  }

  /** The review item a partner choice for this record settles. */
  partnerItem(side: Side, id: string): string | undefined {
    return this.partnerItems.get(linkKey(side, id));
  }

  pendingResolution(meanderId: string, portalId: string): PendingResolution | undefined {
    return this.resolutions.get(pairKey(meanderId, portalId));
  }

  /** For a decided ambiguous match: the partner id chosen, null for "create a new one", undefined if none. */
  pendingPartner(side: Side, id: string): string | null | undefined {
    return this.partnerChoices.get(linkKey(side, id));
  }

  /** A decision applies once: the pair's own writes come back through the feed later in the run. */
  settle(item: { side: Side; id: string }, link: { meanderId: string; portalId: string } | undefined): void {
    if (link) this.resolutions.delete(pairKey(link.meanderId, link.portalId));
    else this.partnerChoices.delete(linkKey(item.side, item.id));
  }

  /** Whether a record is the subject or a candidate of an open ambiguous-match conflict. */
  inOpenAmbiguity(side: Side, id: string): boolean {
    if (!this.ambiguityIndex) {
      this.ambiguityIndex = new Set();
      for (const c of this.conflicts.values()) {
        // Also confirmMatch: its candidate waits for a person and is not offered to anyone else meanwhile.
        if ((c.kind !== "ambiguous" && c.kind !== "confirmMatch") || c.status !== "open") continue;
        const subject: Side = c.meanderId ? "meander" : "portal";
        this.ambiguityIndex.add(linkKey(subject, (c.meanderId ?? c.portalId)!));
        for (const candidate of c.candidates ?? []) this.ambiguityIndex.add(linkKey(otherSide(subject), candidate));
      }
    }
    return this.ambiguityIndex.has(linkKey(side, id));
  }

  /** Remembers a decided conflict to apply; returns the records to re-read for it. */
  private queue(conflict: ConflictRecord): [Side, string][] {
    const { meanderId, portalId, resolution } = conflict;
    if (!resolution) return [];
    const kind = reviewKindOf(conflict);
    if (kind === "ambiguous" || kind === "unmatched" || kind === "confirmMatch") {
      // These items name only the record they are about.
      const side: Side = meanderId ? "meander" : "portal";
      const id = meanderId ?? portalId!;
      const partner = resolution.values.partner;
      this.partnerChoices.set(linkKey(side, id), typeof partner === "string" ? partner : null);
      this.partnerItems.set(linkKey(side, id), conflict.conflictId);
      return [[side, id]];
    }
    // An oscillation is decided like a field conflict: a value per field (the guard then lets go of it).
    if (!meanderId || !portalId) return [];
    // Resolving turns a side's choice into its values (the item's own values are erased then).
    const values =
      resolution.choice === "value" || Object.keys(resolution.values).length > 0
        ? resolution.values
        : Object.fromEntries(conflict.fields.map((f) => [f.field, resolution.choice === "meander" ? f.meander : f.portal]));
    this.resolutions.set(pairKey(meanderId, portalId), {
      conflictId: conflict.conflictId,
      resolutions: Object.entries(values).map(([field, value]) => ({ field, value })),
    });
    return [
      ["meander", meanderId],
      ["portal", portalId],
    ];
  }
}
