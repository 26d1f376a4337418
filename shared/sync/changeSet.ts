/**
 * The changes of one side held in memory for a run, with indexes on the link field and
 * the normalised match keys so that partners are found without a request per record.
 */
import type { CompiledConfig } from "../core/compile.js";
import { inScope, normalizeKey } from "../core/matching.js";
import { getPath } from "../core/paths.js";
import type { Side, SideRecord, SideView } from "../core/types.js";

export class ChangeSet {
  private readonly views = new Map<string, SideView>();
  /** Held records still narrow (`SideRecord.narrow`: their full read is the run's, fullReads.ts). */
  private readonly narrow = new Set<string>();
  private readonly keys: KeyIndex;
  /** True when the set holds every record of the side (a full read), so a miss means "none". */
  full = false;

  constructor(
    private readonly compiled: CompiledConfig,
    readonly side: Side,
  ) {
    this.keys = new KeyIndex(compiled, side);
  }

  get size(): number {
    return this.views.size;
  }

  addRecord(record: SideRecord): SideView {
    const view = viewOf(this.compiled, this.side, record);
    this.views.set(record.id, view);
    if (record.narrow) this.narrow.add(record.id);
    else this.narrow.delete(record.id);
    this.keys.add(record);
    return view;
  }

  addDeleted(id: string): void {
    this.views.set(id, { state: "deleted", id });
    this.narrow.delete(id);
  }

  /** How many held records are still narrow. */
  get narrowCount(): number {
    return this.narrow.size;
  }

  /** Whether `id` is held and still narrow. */
  isNarrow(id: string): boolean {
    return this.narrow.has(id);
  }

  /** The ids of the held records still narrow, in insertion order. */
  narrowIds(): IterableIterator<string> {
    return this.narrow.values();
  }

  /** A narrow held record's full read (by the held id): its view replaces the narrow one. Others are left as they are. */
  complete(id: string, record: SideRecord): void {
    if (!this.narrow.has(id)) return;
    this.addRecord(record.id === id ? record : { ...record, id });
  }

  /**
   * A narrow held record its full read did not find (deleted since the feed read it): left out
   * of this run, as a feed that reads in-scope records at once leaves it (read.ts, readInScope);
   * the next feed reports the deletion.
   */
  drop(id: string): void {
    if (this.narrow.delete(id)) this.views.delete(id);
  }

  has(id: string): boolean {
    return this.views.has(id);
  }

  /** Removes and returns the view of a record (each change is processed once). */
  take(id: string): SideView | undefined {
    const view = this.views.get(id);
    if (view) this.views.delete(id);
    this.narrow.delete(id);
    return view;
  }

  /** The view of a record without taking it. */
  peek(id: string): SideView | undefined {
    return this.views.get(id);
  }

  /** Takes up to `count` records whose view `first` accepts, in insertion order (e.g. merged-away records before the rest). */
  takeWhere(first: (view: SideView) => boolean, count: number): [string, SideView][] {
    const chunk: [string, SideView][] = [];
    for (const entry of this.views) {
      if (chunk.length >= count) break;
      if (first(entry[1])) chunk.push(entry);
    }
    for (const [id] of chunk) {
      this.views.delete(id);
      this.narrow.delete(id);
    }
    return chunk;
  }

  /** Ids of held records whose link field or match keys may point at `fromRecord` (taken ones included; `sharesKey` tells). */
  candidateIds(fromRecord: SideRecord): Set<string> {
    return this.keys.candidateIds(fromRecord);
  }

  /** The record of a candidate, if still held (present or out of scope); a narrow one too (`SideRecord.narrow`). */
  record(id: string): SideRecord | undefined {
    const view = this.views.get(id);
    return view && (view.state === "present" || view.state === "outOfScope") ? view.record : undefined;
  }

  /** Takes up to `count` records not yet taken, in insertion order. */
  takeSome(count: number): [string, SideView][] {
    const chunk: [string, SideView][] = [];
    for (const entry of this.views) {
      if (chunk.length >= count) break;
      chunk.push(entry);
    }
    for (const [id] of chunk) {
      this.views.delete(id);
      this.narrow.delete(id);
    }
    return chunk;
  }
}

/** A changed record as the planner sees it: present, or outside the config's scope for its side. */
export function viewOf(compiled: CompiledConfig, side: Side, record: SideRecord): SideView {
  return inScope(compiled.config[side].scope, record.data) ? { state: "present", record } : { state: "outOfScope", record };
}

/**
 * Ids by link field and normalised match key. On its own it keeps the streamed side's keys
 * (ids only), so that the other side's leftovers can still see who exists.
 *
 * A first run indexes every record of a side, so the index holds no string per key: a key is
 * its 32-bit hash (`hashOf`). Two keys may share a hash, so a candidate it names may not share
 * a key at all: `sharesKey` tells, once the candidate's record is read.
 */
export class KeyIndex {
  // One id as a plain string, more as an array: nearly every key names one record, and an array per key would double the index.
  private readonly byLink = new Map<number, string | string[]>();
  private readonly byKey: Map<number, string | string[]>[];

  constructor(
    private readonly compiled: CompiledConfig,
    readonly side: Side,
  ) {
    this.byKey = compiled.config.matchKeys.map(() => new Map());
  }

  /** `id`: the record's id, as a string the run holds anyway (LinkCache.heldId) when it has one. */
  add(record: SideRecord, id: string = record.id): void {
    const { config } = this.compiled;
    const linkField = config[this.side].linkField;
    if (linkField) push(this.byLink, getPath(record.data, linkField), id);
    config.matchKeys.forEach((key, i) => {
      const value = normalizeKey(key.normalize, getPath(record.data, this.side === "portal" ? key.portal : key.meander));
      if (value && this.byKey[i]) push(this.byKey[i], value, id);
    });
  }

  candidateIds(fromRecord: SideRecord): Set<string> {
    const { config } = this.compiled;
    const ids = new Set<string>(idsOf(this.byLink.get(hashOf(fromRecord.id))));
    config.matchKeys.forEach((key, i) => {
      const value = normalizeKey(key.normalize, getPath(fromRecord.data, this.side === "portal" ? key.meander : key.portal));
      if (value) for (const id of idsOf(this.byKey[i]?.get(hashOf(value)))) ids.add(id);
    });
    return ids;
  }
}

/**
 * Whether `candidate` (of `side`) has what `index.candidateIds(fromRecord)` looks for: its link
 * field naming `fromRecord`, or a match key equal to `fromRecord`'s. A hash the two keys merely
 * share says no.
 */
export function sharesKey(compiled: CompiledConfig, side: Side, candidate: SideRecord, fromRecord: SideRecord): boolean {
  const { config } = compiled;
  const linkField = config[side].linkField;
  if (linkField && indexable(getPath(candidate.data, linkField)) === fromRecord.id) return true;
  return config.matchKeys.some((key) => {
    const [theirs, mine] = side === "portal" ? [key.portal, key.meander] : [key.meander, key.portal];
    const wanted = normalizeKey(key.normalize, getPath(fromRecord.data, mine));
    return wanted !== undefined && wanted !== "" && normalizeKey(key.normalize, getPath(candidate.data, theirs)) === wanted;
  });
}

const idsOf = (entry: string | string[] | undefined): readonly string[] => (entry === undefined ? [] : typeof entry === "string" ? [entry] : entry);

/** The text a key value is indexed by: strings and numbers; nothing for anything else or an empty one. */
const indexable = (key: unknown): string | undefined => ((typeof key === "string" || typeof key === "number") && String(key) !== "" ? String(key) : undefined);

/** FNV-1a over the UTF-16 code units: a 32-bit integer (a small integer to V8, stored in the map without a heap object). */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash | 0;
}

function push(map: Map<number, string | string[]>, key: unknown, id: string): void {
  const text = indexable(key);
  if (text === undefined) return;
  const k = hashOf(text);
  const entry = map.get(k);
  if (entry === undefined) map.set(k, id);
  else if (typeof entry === "string") {
    if (entry !== id) map.set(k, [entry, id]);
  } else if (!entry.includes(id)) entry.push(id);
}
