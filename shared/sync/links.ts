/** The links of one config as far as this run has read them: a known "no link" is remembered too. */
import type { Link, Side } from "../core/types.js";
import type { StateStore } from "../ports.js";
import { linkKey } from "./keys.js";

export class LinkCache {
  private readonly links = new Map<string, Link | null>();
  /** Every link of the config is here (preloaded): a miss means "no link", no need to ask. */
  private complete = false;
  /** Records whose link this run saved (after its own writes): their versions are what those writes answered. */
  private readonly saved = new Set<string>();

  constructor(
    private readonly state: StateStore,
    private readonly configId: string,
  ) {}

  /** Reads the links of records not asked about yet, in one request. */
  async load(refs: readonly { side: Side; id: string }[]): Promise<void> {
    const missing = refs.filter((r) => !this.links.has(linkKey(r.side, r.id)));
    if (missing.length === 0) return;
    if (this.complete) {
      for (const r of missing) this.links.set(linkKey(r.side, r.id), null);
      return;
    }
    for (const link of await this.state.getLinks(this.configId, missing)) this.keep(link);
    for (const r of missing) if (!this.links.has(linkKey(r.side, r.id))) this.links.set(linkKey(r.side, r.id), null);
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
    const links = new Map<string, Link>();
    for (const link of this.links.values()) if (link) links.set(`${link.meanderId}|${link.portalId}`, link);
    return [...links.values()];
  }

  get(side: Side, id: string): Link | undefined {
    return this.links.get(linkKey(side, id)) ?? undefined;
  }

  /** The link of a record as this run saved it, if it did. */
  savedByRun(side: Side, id: string): Link | undefined {
    return this.saved.has(linkKey(side, id)) ? this.get(side, id) : undefined;
  }

  /** A link this run saved. */
  remember(link: Link): void {
    this.keep(link);
    this.saved.add(linkKey("meander", link.meanderId)).add(linkKey("portal", link.portalId));
  }

  forget(link: Pick<Link, "meanderId" | "portalId">): void {
    for (const key of [linkKey("meander", link.meanderId), linkKey("portal", link.portalId)]) {
      this.links.set(key, null);
      this.saved.delete(key);
    }
  }

  private keep(link: Link): void {
    this.links.set(linkKey("meander", link.meanderId), link);
    this.links.set(linkKey("portal", link.portalId), link);
  }
}
