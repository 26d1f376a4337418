/**
 * What runs inside Dataverse on a write besides storing it: plug-ins registered on a
 * table that rewrite a column (a synchronous pre-operation step), and records that fail
 * every time they are written (a validation plug-in aborting, a duplicate-detection rule
 * matching). Such a failure is the record's, not the service's: the same write fails again.
 *
 * Plug-in errors reach the caller as IsvAborted, 0x80040265:
 * https://learn.microsoft.com/power-apps/developer/data-platform/best-practices/business-logic/use-invalidpluginexecutionexception-plugin-workflow-activities
 * Duplicate detection answers 500 with 0x80040333 when MSCRM.SuppressDuplicateDetection is false:
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update
 */
import { DV, SimError } from "./http.js";

export type Row = Record<string, unknown>;

export interface PluginRule {
  readonly entitySet: string;
  /** Logical name of the column the plug-in sets. */
  readonly column: string;
  /** The value the plug-in stores instead of the one written (the row is the record after the write). */
  readonly rewrite: (value: unknown, row: Readonly<Row>) => unknown;
}

export interface RecordFault {
  readonly entitySet: string;
  /** The records that fail: tested on the record as it would be after the write. */
  readonly when: (row: Readonly<Row>) => boolean;
  /** Default: a plug-in abort (0x80040265). */
  readonly code?: string;
  /** Default 500, as Dataverse answers both plug-in aborts and duplicate detection. */
  readonly status?: number;
}

const MESSAGES: Readonly<Record<string, string>> = {
  [DV.pluginAborted]: "The plug-in registered on this table aborted the operation.",
  [DV.duplicateDetected]: "A record was not created or updated because a duplicate of the current record already exists.",
};

export class WritePipeline {
  private rules: PluginRule[] = [];
  private faults: RecordFault[] = [];

  addPlugin(rule: PluginRule): void {
    this.rules.push(rule);
  }

  addRecordFault(fault: RecordFault): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.rules = [];
    this.faults = [];
  }

  /** The record as stored after plug-ins ran, or the SimError of a record that fails. */
  apply(entitySet: string, row: Row, written: ReadonlySet<string>): Row {
    let result = row;
    for (const rule of this.rules) {
      if (rule.entitySet !== entitySet || !written.has(rule.column)) continue;
      result = { ...result, [rule.column]: rule.rewrite(result[rule.column], result) };
    }
    const fault = this.faults.find((f) => f.entitySet === entitySet && f.when(result));
    if (fault) {
      const code = fault.code ?? DV.pluginAborted;
      throw new SimError(fault.status ?? 500, code, MESSAGES[code] ?? "The operation failed for this record.");
    }
    return result;
  }
}
