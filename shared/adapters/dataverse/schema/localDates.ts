/**
 * Calendar dates on Dataverse date columns with UserLocal behaviour. Dataverse stores and
 * returns those in UTC: 5 March entered in Oslo comes back as 2024-03-04T23:00:00Z, and
 * taking the calendar date of that shifts it by a day. For the fields a config gives a
 * time zone, this side writes the zone's midnight of the date and reads back the zone's
 * calendar date, so the core only ever sees yyyy-mm-dd.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/behavior-format-date-time-attribute
 */
import type { SyncConfig } from "../../../core/configTypes.js";
import type { Scalar, SideRecord } from "../../../core/types.js";
import type { ChangePage, ReadOptions, RecordSide, WriteOp, WriteOutcome } from "../../../ports.js";

/** entity set -> column -> IANA time zone */
export type LocalDateColumns = ReadonlyMap<string, ReadonlyMap<string, string>>;

export function localDateColumns(configs: readonly SyncConfig[]): LocalDateColumns {
  const result = new Map<string, Map<string, string>>();
  for (const config of configs) {
    for (const field of config.fields) {
      if (!field.timeZone) continue;
      const columns = result.get(config.portal.entity) ?? new Map<string, string>();
      columns.set(field.portal, field.timeZone);
      result.set(config.portal.entity, columns);
    }
  }
  return result;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes the zone is ahead of UTC at `instant`. */
function offsetMinutes(zone: string, instant: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"));
  return Math.round((local - instant.getTime()) / 60_000);
}

/** `2024-03-05` in Europe/Oslo -> `2024-03-04T23:00:00Z` (midnight there, as a UTC instant). */
export function zoneMidnight(date: string, zone: string): string {
  const match = DATE.exec(date);
  if (!match) return date;
  const utcMidnight = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // The offset at midnight local time; one correction covers a DST change that day.
  let instant = utcMidnight - offsetMinutes(zone, new Date(utcMidnight)) * 60_000;
  instant = utcMidnight - offsetMinutes(zone, new Date(instant)) * 60_000;
  return new Date(instant).toISOString().replace(/\.000Z$/, "Z");
}

/** `2024-03-04T23:00:00Z` read in Europe/Oslo -> `2024-03-05`. */
export function zoneDate(value: string, zone: string): string {
  const instant = new Date(value);
  if (DATE.test(value) || Number.isNaN(instant.getTime())) return value;
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

export class LocalDateSide implements RecordSide {
  readonly side;

  constructor(
    private readonly inner: RecordSide,
    private readonly columns: LocalDateColumns,
  ) {
    this.side = inner.side;
  }

  private readRecord(entity: string, record: SideRecord): SideRecord {
    const zones = this.columns.get(entity);
    if (!zones) return record;
    const data = { ...record.data };
    for (const [column, zone] of zones) if (typeof data[column] === "string") data[column] = zoneDate(data[column] as string, zone);
    return { ...record, data };
  }

  private writeOp(entity: string, op: WriteOp): WriteOp {
    const zones = this.columns.get(entity);
    if (!zones || op.op === "delete") return op;
    const data = { ...op.data };
    for (const [column, zone] of zones) if (typeof data[column] === "string") data[column] = zoneMidnight(data[column] as string, zone);
    return { ...op, data };
  }

  async *readChanges(entity: string, cursor: string | undefined, options?: ReadOptions): AsyncIterable<ChangePage> {
    for await (const page of this.inner.readChanges(entity, cursor, options)) {
      yield { ...page, records: page.records.map((r) => this.readRecord(entity, r)) };
    }
  }

  idsPerRead(entity: string): number | undefined {
    return this.inner.idsPerRead?.(entity);
  }

  async getByIds(entity: string, ids: readonly string[], options?: ReadOptions): Promise<SideRecord[]> {
    return (await this.inner.getByIds(entity, ids, options)).map((r) => this.readRecord(entity, r));
  }

  async findByField(entity: string, field: string, values: readonly Scalar[], options?: ReadOptions): Promise<SideRecord[]> {
    return (await this.inner.findByField(entity, field, values, options)).map((r) => this.readRecord(entity, r));
  }

  write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    return this.inner.write(
      entity,
      ops.map((op) => this.writeOp(entity, op)),
    );
  }
}
