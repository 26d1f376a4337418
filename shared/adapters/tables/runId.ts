/**
 * Run ids: `r` + start time in ms (base 36, 9 digits) + 8 random base-36 digits.
 * They sort by start time and are safe in keys and URLs as they are. The stores
 * do not depend on this shape (getRun resolves any id through its index row).
 */
import { randomBytes } from "node:crypto";

export function newRunId(now: Date = new Date()): string {
  const time = now.getTime().toString(36).padStart(9, "0");
  const random = (randomBytes(6).readUIntBE(0, 6) % 36 ** 8).toString(36).padStart(8, "0");
  return `r${time}${random}`;
}
