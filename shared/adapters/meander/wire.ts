/** The contract's wire shapes (api/meander-sync.openapi.yaml) as the client reads and sends them. */

/** Limits the contract document states; the client never asks for more. */
export const CONTRACT_LIMITS = { pageSize: 500, batchSize: 100, lookupValues: 100, ids: 100 } as const;

/** The contract's Id pattern: anything else cannot name a Meander record. */
export const isContractId = (id: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(id);

export interface WireRecord {
  readonly id: string;
  readonly version: string;
  readonly modifiedAt: string;
  readonly externalRef?: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Tombstone {
  readonly id: string;
  readonly version: string;
  readonly modifiedAt: string;
  readonly deleted: true;
}

export interface ChangesPage {
  readonly items: readonly (WireRecord | Tombstone)[];
  readonly nextCursor: string;
  readonly hasMore: boolean;
}

export interface RecordList {
  readonly items: readonly WireRecord[];
}

export interface BatchOperation {
  readonly ref: string;
  readonly op: "upsert" | "delete";
  readonly id?: string;
  readonly externalRef?: string;
  readonly ifVersion?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly pointer?: string; readonly parameter?: string; readonly detail: string }[];
}

export interface BatchResult {
  readonly ref: string;
  readonly status: 200 | 201 | 204 | 404 | 409 | 412 | 422;
  readonly id?: string;
  readonly version?: string;
  readonly problem?: ProblemDetails;
}
