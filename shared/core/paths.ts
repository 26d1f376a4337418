/**
 * Dot paths into nested records ("contact.email"). An OData annotation suffix stays
 * with its property: "hlf_contactid@odata.bind" is one key, not two.
 */

/** Segments that would reach an object's prototype: never valid in a path. */
const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);

/** Split once per path: configs have a few dozen, read for every field of every record. */
const SPLIT = new Map<string, readonly string[]>();

function segmentsOf(path: string): readonly string[] {
  const known = SPLIT.get(path);
  if (known) return known;
  const at = path.indexOf("@");
  const segments = (at < 0 ? path : path.slice(0, at)).split(".");
  if (at >= 0) segments[segments.length - 1] += path.slice(at);
  // Paths come from configs, not from data: the map stays small; a bound keeps it so anyway.
  if (SPLIT.size < 10_000) SPLIT.set(path, segments);
  return segments;
}

export const isSafePath = (path: string): boolean => segmentsOf(path).every((s) => s.length > 0 && !FORBIDDEN.has(s));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function getPath(source: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = source;
  for (const segment of segmentsOf(path)) {
    if (!isObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets a value, building nested objects on the way. The caller checks the path with isSafePath. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = segmentsOf(path);
  let current = target;
  for (const segment of segments.slice(0, -1)) {
    const next = current[segment];
    if (isObject(next)) current = next;
    else {
      const created: Record<string, unknown> = {};
      current[segment] = created;
      current = created;
    }
  }
  current[segments[segments.length - 1] as string] = value;
}

/**
 * Whether a record holds the path at all. A null on the way counts (the value was cleared);
 * a missing key does not (the field was not read), so it is never mistaken for a clearing.
 */
export function holdsPath(source: Readonly<Record<string, unknown>>, path: string): boolean {
  let current: unknown = source;
  for (const segment of segmentsOf(path)) {
    if (current === null) return true;
    if (!isObject(current) || !Object.hasOwn(current, segment)) return false;
    current = current[segment];
  }
  return true;
}
