/**
 * The portal side with the schema check in front of its writes: before the first write of
 * the process the configs are checked against the environment's metadata, once; a mismatch
 * stops every write with SCHEMA_MISMATCH naming the columns, so a wrong value is never
 * written. Reads pass through (they cannot corrupt anything, and a run that only reads is
 * a dry run).
 */
import type { Scalar, SideRecord } from "../../../core/types.js";
import { FatalError } from "../../../errors.js";
import type { ChangePage, Logger, ReadOptions, RecordSide, WriteOp, WriteOutcome } from "../../../ports.js";
import { errorsOf } from "./check.js";
import { type Finding, formatFinding } from "./checkConfig.js";

export class SchemaMismatchError extends FatalError {
  constructor(readonly findings: readonly Finding[]) {
    const columns = findings.map((f) => `${f.table}${f.column ? `.${f.column}` : ""}`);
    super("SCHEMA_MISMATCH", `the configs do not match the Dataverse metadata: ${[...new Set(columns)].join(", ")} (npm run check shows why)`);
  }
}

export class SchemaCheckedSide implements RecordSide {
  readonly side;
  private checked: Promise<void> | undefined;

  constructor(
    private readonly inner: RecordSide,
    private readonly check: () => Promise<readonly Finding[]>,
    private readonly logger?: Logger,
  ) {
    this.side = inner.side;
  }

  private ensureChecked(): Promise<void> {
    this.checked ??= this.check().then(
      (findings) => {
        for (const f of findings) (f.level === "error" ? this.logger?.error : this.logger?.info)?.call(this.logger, formatFinding(f));
        const errors = errorsOf(findings);
        if (errors.length) throw new SchemaMismatchError(errors);
      },
      (error) => {
        // A check that could not run (network, throttling) is tried again by the next write.
        this.checked = undefined;
        throw error;
      },
    );
    return this.checked;
  }

  readChanges(entity: string, cursor: string | undefined, options?: ReadOptions): AsyncIterable<ChangePage> {
    return this.inner.readChanges(entity, cursor, options);
  }

  idsPerRead(entity: string): number | undefined {
    return this.inner.idsPerRead?.(entity);
  }

  getByIds(entity: string, ids: readonly string[], options?: ReadOptions): Promise<SideRecord[]> {
    return this.inner.getByIds(entity, ids, options);
  }

  findByField(entity: string, field: string, values: readonly Scalar[], options?: ReadOptions): Promise<SideRecord[]> {
    return this.inner.findByField(entity, field, values, options);
  }

  async write(entity: string, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    if (ops.length) await this.ensureChecked();
    return this.inner.write(entity, ops);
  }
}
