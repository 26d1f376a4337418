/** Dot paths into nested records ("contact.email"). */

/** Segments that would reach an object's prototype: never valid in a path. */
const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);

export const isSafePath = (path: string): boolean => path.split(".").every((s) => s.length > 0 && !FORBIDDEN.has(s));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function getPath(source: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = source;
  for (const segment of path.split(".")) {
    if (!isObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets a value, building nested objects on the way. The caller checks the path with isSafePath. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split(".");
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
