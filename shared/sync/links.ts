/** The links of one config as far as this run has read them: a known "no link" is remembered too. */
import type { Link, Side } from "../core/types.js";
import type { StateStore } from "../ports.js";
import { SideMap } from "./keys.js";

export class LinkCache {
  private readonly links = new SideMap<Link | null>();
  /** Every link of the config is here (preloaded): a miss means "no link", no need to ask. */
  private complete = false;
  /** Records whose link this run saved (after its own writes): their versions are what those writes answered. */
  private readonly saved = new SideMap<true>();
  /** Records whose link this run dropped, and the version of each this run's write left (a retired likeperson). */
  private readonly dropped = new SideMap<true>();
  private readonly written = new SideMap<string>();
  /** Records this run deleted, and how many of its writes answered without a version (echo.ts). */
  private readonly deleted = new SideMap<true>();
  private readonly unversioned: Record<Side, number> = { meander: 0, portal: 0 };

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
  ) {}

  /**
   * Links this run saved and then let go of (shed): held by their ids and versions only, which is
   * all the echo check needs. Planning one again reads it back from the store (load).
   */
  private readonly thin = new WeakSet<Link>();

  /** Reads the links of records not asked about yet (or held thin), in one request. */
  async load(refs: readonly { side: Side; id: string }[]): Promise<void> {
    const unread = (r: { side: Side; id: string }) => {
      const held = this.links.get(r.side, r.id);
      return held === undefined || (held !== null && this.thin.has(held));
    };
    const missing = refs.filter(unread);
    // Preloaded: a record not held has no link; only thin ones are read back.
    const wanted = this.complete ? missing.filter((r) => this.links.has(r.side, r.id)) : missing;
    if (this.complete) for (const r of missing) if (!this.links.has(r.side, r.id)) this.links.set(r.side, r.id, null);
    if (wanted.length === 0) return;
    for (const link of await this.state.getLinks(this.configId, wanted)) this.keep(link);
    for (const r of wanted) if (unread(r)) this.links.set(r.side, r.id, null);
  }

  /**
   * Once a unit's links are saved, the run keeps only their ids and versions: on a first run the
   * baselines of every pair made so far would otherwise stay in memory to the end (a fingerprint
   * per mapped field, each pair). A link replaced since (a later unit re-coupled it) is kept.
   */
  shed(links: readonly Link[]): void {
    for (const link of links) {
      if (this.links.get("meander", link.meanderId) !== link || this.links.get("portal", link.portalId) !== link) continue;
      const slim: Link = {
        meanderId: link.meanderId,
        portalId: link.portalId,
        baseline: THIN_BASELINE,
        ...(link.meanderVersion !== undefined ? { meanderVersion: link.meanderVersion } : {}),
        ...(link.portalVersion !== undefined ? { portalVersion: link.portalVersion } : {}),
      };
      this.thin.add(slim);
      this.keep(slim);
    }
  }

  /**
   * When both feeds are read from the start (a first run, or both cursors lost), every record
   * needs its link: one scan of the config's links costs a request per 1,000 links where point
   * reads cost one per record (on a first run, one request in all).
   */
  async preload(): Promise<void> {
    if (this.complete) return;
    for await (const link of this.state.listLinks(this.configId)) this.keep(link);
    this.complete = true;
  }

  /** Every link of the config; preloads them first. */
  async all(): Promise<Link[]> {
    await this.preload();
    // Each link is held under both of its ids (one end re-coupled since: under the other one only).
    const links: Link[] = [];
    for (const [id, link] of this.links.entries("meander")) if (link && link.meanderId === id) links.push(link);
    for (const [id, link] of this.links.entries("portal"))
      if (link && link.portalId === id && this.links.get("meander", link.meanderId) !== link) links.push(link);
    return links;
  }

  /** How many links the config has, when every one is here (preloaded); undefined otherwise. */
  count(): number | undefined {
    if (!this.complete) return undefined;
    let n = 0;
    for (const [id, link] of this.links.entries("meander")) if (link && link.meanderId === id) n++;
    return n;
  }

  /** The link of a record; after a shed (until it is loaded again) only its ids and versions. */
  get(side: Side, id: string): Link | undefined {
    return this.links.get(side, id) ?? undefined;
  }

  /** The link of a record as this run saved it, if it did. */
  savedByRun(side: Side, id: string): Link | undefined {
    return this.saved.has(side, id) ? this.get(side, id) : undefined;
  }

  /** The version this run's write left a record at, when the run then dropped its link. */
  unlinkedByRun(side: Side, id: string): string | undefined {
    return this.dropped.has(side, id) && this.links.get(side, id) === null ? this.written.get(side, id) : undefined;
  }

  /** A write of this run that succeeded, with the record's new version if it answered one. */
  wrote(side: Side, id: string, version: string | undefined): void {
    if (version === undefined) this.unversioned[side] += 1;
    else this.written.set(side, id, version);
  }

  /** A delete of this run that succeeded: its tombstone is the run's own. */
  wroteDelete(side: Side, id: string): void {
    this.deleted.set(side, id, true);
  }

  /** Writes of this run to `side` answered without a version (a plug-in rewrote what was written): their echoes must be read. */
  unversionedWrites(side: Side): number {
    return this.unversioned[side];
  }

  /**
   * Per side, what this run's writes left as the echo check (echo.ts) would recognise it: each
   * record it wrote at the version its link now holds (or, unlinked, the version the write left),
   * and the records it deleted.
   */
  expectedEchoes(): Record<Side, { versions: Record<string, string>; deleted: string[] }> {
    const echoes: Record<Side, { versions: Record<string, string>; deleted: string[] }> = {
      meander: { versions: {}, deleted: [] },
      portal: { versions: {}, deleted: [] },
    };
    for (const side of ["meander", "portal"] as const) {
      for (const [id] of this.written.entries(side)) {
        const version = this.saved.has(side, id) ? versionOn(side, this.get(side, id)) : this.unlinkedByRun(side, id);
        if (version !== undefined) echoes[side].versions[id] = version;
      }
      for (const [id] of this.deleted.entries(side)) echoes[side].deleted.push(id);
    }
    return echoes;
  }

  /** A link this run saved. */
  remember(link: Link): void {
    this.keep(link);
    for (const [side, id] of [
      ["meander", link.meanderId],
      ["portal", link.portalId],
    ] as const) {
      this.saved.set(side, id, true);
      this.dropped.delete(side, id);
    }
  }

  /** An end already re-coupled to another partner (a moved link) keeps its new link, as the store's deleteLinks does. */
  forget(link: Pick<Link, "meanderId" | "portalId">): void {
    for (const [side, id] of [
      ["meander", link.meanderId],
      ["portal", link.portalId],
    ] as const) {
      const held = this.links.get(side, id);
      if (held && (held.meanderId !== link.meanderId || held.portalId !== link.portalId)) continue;
      this.links.set(side, id, null);
      this.saved.delete(side, id);
      this.dropped.set(side, id, true);
    }
  }

  private keep(link: Link): void {
    this.links.set("meander", link.meanderId, link);
    this.links.set("portal", link.portalId, link);
  }
}

/** A thin link's baseline: one shared empty object (a first run holds a thin link per pair). */
const THIN_BASELINE: Link["baseline"] = Object.freeze({});

const versionOn = (side: Side, link: Link | undefined): string | undefined => (side === "meander" ? link?.meanderVersion : link?.portalVersion);
