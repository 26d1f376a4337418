/** The links of one config as far as this run has read them: a known "no link" is remembered too. */
import { type Link, SIDES, type Side } from "../core/types.js";
import type { StateStore } from "../ports.js";
import { SideMap } from "./keys.js";

/** Held for a record whose link this run dropped (a retired likeperson): no link, and the run's own doing. */
const DROPPED = Symbol("dropped");

/**
 * A link this run saved and then let go of (shed): its ids and versions only, which is all the
 * echo check needs. Planning one again reads it back from the store (load). It also stands for
 * the `written` entry of each end this run wrote to that version, so that a first run does not
 * hold a second map entry per record for it.
 */
class ThinLink implements Link {
  readonly baseline = THIN_BASELINE;
  readonly meanderId: string;
  readonly portalId: string;
  // Set only when the link has one, as on any other link.
  declare readonly meanderVersion?: string;
  declare readonly portalVersion?: string;
  readonly #wrote: number;

  constructor(link: Link, wrote: readonly Side[]) {
    this.meanderId = link.meanderId;
    this.portalId = link.portalId;
    if (link.meanderVersion !== undefined) this.meanderVersion = link.meanderVersion;
    if (link.portalVersion !== undefined) this.portalVersion = link.portalVersion;
    this.#wrote = wrote.reduce((bits, side) => bits | bit(side), 0);
  }

  /** Whether this run wrote the record of `side`, leaving it at the version here. */
  wroteOn(side: Side): boolean {
    return (this.#wrote & bit(side)) !== 0;
  }
}

const bit = (side: Side) => (side === "meander" ? 1 : 2);

export class LinkCache {
  /**
   * Per record its link, `null` for a known "no link", DROPPED for one this run dropped. A first
   * run holds an entry per record, so the run's own marks live here too: a link this run saved
   * is a thin one or in `savedFull`, and a dropped one is DROPPED, with no map of flags per record.
   */
  private readonly links = new SideMap<Link | null | typeof DROPPED>();
  /** Every link of the config is here (preloaded): a miss means "no link", no need to ask. */
  private complete = false;
  /** Links this run saved (after its own writes) and holds whole: their versions are what those writes answered. */
  private readonly savedFull = new WeakSet<Link>();
  /** The version each record this run wrote was left at, but for those a thin link stands for (ThinLink.wroteOn). */
  private readonly written = new SideMap<string>();
  /** Records this run deleted, and how many of its writes answered without a version (echo.ts). */
  private readonly deleted = new SideMap<true>();
  private readonly unversioned: Record<Side, number> = { meander: 0, portal: 0 };

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
  ) {}

  /** Reads the links of records not asked about yet (or held thin), in one request. */
  async load(refs: readonly { side: Side; id: string }[]): Promise<void> {
    const unread = (r: { side: Side; id: string }) => {
      const held = this.links.get(r.side, r.id);
      return held === undefined || held instanceof ThinLink;
    };
    const missing = refs.filter(unread);
    // Preloaded: a record not held has no link; only thin ones are read back.
    const wanted = this.complete ? missing.filter((r) => this.links.has(r.side, r.id)) : missing;
    if (this.complete) for (const r of missing) if (!this.links.has(r.side, r.id)) this.hold(r.side, r.id, null);
    if (wanted.length === 0) return;
    for (const link of await this.state.getLinks(this.configId, wanted)) this.keepStored(link);
    for (const r of wanted) if (unread(r)) this.hold(r.side, r.id, null);
  }

  /**
   * Once a unit's links are saved, the run keeps only their ids and versions: on a first run the
   * baselines of every pair made so far would otherwise stay in memory to the end (a fingerprint
   * per mapped field, each pair). A link replaced since (a later unit re-coupled it) is kept.
   */
  shed(links: readonly Link[]): void {
    for (const link of links) {
      if (this.links.get("meander", link.meanderId) !== link || this.links.get("portal", link.portalId) !== link) continue;
      // Each end this run wrote to the link's version: the thin link stands for its written entry.
      const wrote = SIDES.filter((side) => {
        const version = versionOn(side, link);
        return version !== undefined && this.written.get(side, idOn(side, link)) === version;
      });
      for (const side of wrote) this.written.delete(side, idOn(side, link));
      this.keep(new ThinLink(link, wrote));
    }
  }

  /**
   * When both feeds are read from the start (a first run, or both cursors lost), every record
   * needs its link: one scan of the config's links costs a request per 1,000 links where point
   * reads cost one per record (on a first run, one request in all).
   */
  async preload(): Promise<void> {
    if (this.complete) return;
    for await (const link of this.state.listLinks(this.configId)) this.keepStored(link);
    this.complete = true;
  }

  /** Every link of the config; preloads them first. */
  async all(): Promise<Link[]> {
    await this.preload();
    // Each link is held under both of its ids (one end re-coupled since: under the other one only).
    const links: Link[] = [];
    for (const [id, link] of this.links.entries("meander")) if (isLink(link) && link.meanderId === id) links.push(link);
    for (const [id, link] of this.links.entries("portal"))
      if (isLink(link) && link.portalId === id && this.links.get("meander", link.meanderId) !== link) links.push(link);
    return links;
  }

  /** How many links the config has, when every one is here (preloaded); undefined otherwise. */
  count(): number | undefined {
    if (!this.complete) return undefined;
    let n = 0;
    for (const [id, link] of this.links.entries("meander")) if (isLink(link) && link.meanderId === id) n++;
    return n;
  }

  /** The link of a record; after a shed (until it is loaded again) only its ids and versions. */
  get(side: Side, id: string): Link | undefined {
    const held = this.links.get(side, id);
    return isLink(held) ? held : undefined;
  }

  /**
   * `id` as the string the run already holds for it (its link's), else `id` itself: a map that
   * keeps it for the rest of the run (the streamed side's key index) then holds no second copy.
   */
  heldId(side: Side, id: string): string {
    const link = this.get(side, id);
    const held = link && idOn(side, link);
    return held === id ? held : id;
  }

  /** The link of a record as this run saved it, if it did. */
  savedByRun(side: Side, id: string): Link | undefined {
    const held = this.get(side, id);
    return held && (held instanceof ThinLink || this.savedFull.has(held)) ? held : undefined;
  }

  /** The version this run's write left a record at, when the run then dropped its link. */
  unlinkedByRun(side: Side, id: string): string | undefined {
    return this.links.get(side, id) === DROPPED ? this.written.get(side, id) : undefined;
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
        const saved = this.savedByRun(side, id);
        const version = saved ? versionOn(side, saved) : this.unlinkedByRun(side, id);
        if (version !== undefined) echoes[side].versions[id] = version;
      }
      for (const [id, held] of this.links.entries(side)) {
        const version = held instanceof ThinLink && held.wroteOn(side) && idOn(side, held) === id ? versionOn(side, held) : undefined;
        if (version !== undefined) echoes[side].versions[id] = version;
      }
      for (const [id] of this.deleted.entries(side)) echoes[side].deleted.push(id);
    }
    return echoes;
  }

  /** A link this run saved. */
  remember(link: Link): void {
    this.keep(link);
    this.savedFull.add(link);
  }

  /** An end already re-coupled to another partner (a moved link) keeps its new link, as the store's deleteLinks does. */
  forget(link: Pick<Link, "meanderId" | "portalId">): void {
    for (const [side, id] of [
      ["meander", link.meanderId],
      ["portal", link.portalId],
    ] as const) {
      const held = this.get(side, id);
      if (held && (held.meanderId !== link.meanderId || held.portalId !== link.portalId)) continue;
      this.hold(side, id, DROPPED);
    }
  }

  /** A link read from the store: where it replaces one this run saved, it is what the run saved, still the run's own. */
  private keepStored(link: Link): void {
    if (this.savedByRun("meander", link.meanderId) || this.savedByRun("portal", link.portalId)) this.savedFull.add(link);
    this.keep(link);
  }

  private keep(link: Link): void {
    this.hold("meander", link.meanderId, link);
    this.hold("portal", link.portalId, link);
  }

  /** Every change of what is held for a record: a thin link that stood for its written entry gives it back first. */
  private hold(side: Side, id: string, value: Link | null | typeof DROPPED): void {
    const before = this.links.get(side, id);
    if (before instanceof ThinLink && before !== value && before.wroteOn(side) && idOn(side, before) === id && !this.written.has(side, id)) {
      this.written.set(side, id, versionOn(side, before)!);
    }
    this.links.set(side, id, value);
  }
}

/** A thin link's baseline: one shared empty object (a first run holds a thin link per pair). */
const THIN_BASELINE: Link["baseline"] = Object.freeze({});

const isLink = (held: Link | null | typeof DROPPED | undefined): held is Link => typeof held === "object" && held !== null;

const idOn = (side: Side, link: Link): string => (side === "meander" ? link.meanderId : link.portalId);

const versionOn = (side: Side, link: Link | undefined): string | undefined => (side === "meander" ? link?.meanderVersion : link?.portalVersion);
