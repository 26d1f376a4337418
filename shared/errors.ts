/**
 * The error policy in one place. Every failure the service meets is one of three kinds:
 * - transient: retry (with backoff, honouring Retry-After); the run goes on;
 * - record: this record cannot be applied now; it goes to the retry ledger, the run goes on;
 * - fatal: the run stops (bad credentials, a broken config, the portal refusing us).
 *
 * Messages never carry personal data or secrets: they name fields, ids, codes and settings.
 */

export type ErrorKind = "transient" | "record" | "fatal";

/** The serialisable part of an error, as kept in run records and the ledger. */
export interface SyncErrorInfo {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}

export class SyncError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly status?: number;
  /** For throttling: how long the server asked us to wait. */
  readonly retryAfterMs?: number;

  constructor(kind: ErrorKind, code: string, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  toInfo(): SyncErrorInfo {
    return { kind: this.kind, code: this.code, message: this.message, ...(this.status ? { status: this.status } : {}) };
  }
}

export class TransientError extends SyncError {
  constructor(code: string, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super("transient", code, message, options);
  }
}

export class RecordError extends SyncError {
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super("record", code, message, options);
  }
}

export class FatalError extends SyncError {
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super("fatal", code, message, options);
  }
}

/** A config file that does not validate. Names the file and the field path, never a value. */
export class ConfigError extends FatalError {
  constructor(
    readonly file: string,
    readonly path: string,
    problem: string,
  ) {
    super("CONFIG_INVALID", `${file}: ${path || "(root)"}: ${problem}`);
  }
}

/** An app setting that is missing or malformed. Names the setting, never its value. */
export class SettingsError extends FatalError {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super("SETTING_INVALID", `setting ${setting}: ${problem}`);
  }
}

/** A record that cannot be mapped. Names the field (and record id when known), never the value. */
export class MappingError extends RecordError {
  constructor(
    readonly field: string,
    problem: string,
    readonly recordId?: string,
  ) {
    super("MAPPING_FAILED", `${recordId ? `record ${recordId}: ` : ""}field ${field}: ${problem}`);
  }
}

/** Credentials refused. Names tenant and client id, never the secret. */
export class AuthError extends FatalError {
  constructor(
    readonly tenantId: string,
    readonly clientId: string,
    problem: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super("AUTH_FAILED", `authentication failed for tenant ${tenantId}, client ${clientId}: ${problem}`, options);
  }
}

/** A run that lost its lease to a newer run must stop writing. */
export class LeaseLostError extends FatalError {
  constructor(configId: string) {
    super("LEASE_LOST", `the lease of config ${configId} was taken over by another run`);
  }
}

/**
 * How an HTTP status from either system is treated.
 * 429, 5xx (but 501) and 408 are transient; 412 and other 4xx that concern one record
 * are record-level; 401/403 are fatal for the run (credentials or permissions).
 */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 408 || status === 429) return "transient";
  if (status >= 500) return status === 501 || status === 505 ? "fatal" : "transient";
  if (status === 401 || status === 403) return "fatal";
  return "record";
}

/** Builds the typed error for an HTTP failure. `code` is the service's own error code when it sent one. */
export function errorFromStatus(status: number, code: string | undefined, message: string, retryAfterMs?: number): SyncError {
  const kind = kindOfStatus(status);
  const c = code ?? `HTTP_${status}`;
  if (kind === "transient") return new TransientError(c, message, { status, retryAfterMs });
  if (kind === "record") return new RecordError(c, message, { status });
  return new FatalError(c, message, { status });
}

/** Network-level failures (reset, refused, timeout) are transient. */
export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  return (
    typeof code === "string" &&
    [
      "ECONNRESET",
      "ECONNREFUSED",
      "EPIPE",
      "ETIMEDOUT",
      "UND_ERR_SOCKET",
      "UND_ERR_CONNECT_TIMEOUT",
      "UND_ERR_HEADERS_TIMEOUT",
      "ENOTFOUND",
      "EAI_AGAIN",
    ].includes(code)
  );
}

/** Parses Retry-After (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The serialisable form of anything thrown: typed errors keep their code; the rest become UNEXPECTED without their message (it may hold data). */
export function toErrorInfo(error: unknown): SyncErrorInfo {
  if (error instanceof SyncError) return error.toInfo();
  if (isNetworkError(error)) return { kind: "transient", code: "NETWORK", message: "network error" };
  return { kind: "fatal", code: "UNEXPECTED", message: `unexpected ${(error as Error)?.name ?? "error"}` };
}

/**
 * An error the service answers its caller with (the triggers, the admin API): the HTTP status
 * is decided here, once, and functions/http/errors.ts answers with it. To the engine these are
 * fatal: nothing is retried.
 */
export class ServiceError extends SyncError {
  declare readonly status: number;

  constructor(
    code: string,
    message: string,
    status: number,
    /** What the answer adds: the input field at fault, the run holding the config. */
    readonly answer: { readonly field?: string; readonly runningRunId?: string; readonly message?: string } = {},
  ) {
    super("fatal", code, message, { status });
  }
}

/** A config id that no loaded config has. */
export class UnknownConfigError extends ServiceError {
  constructor(readonly configId: string) {
    super("UNKNOWN_CONFIG", "unknown sync config", 404, { field: "configId", message: `unknown sync config ${configId}` });
  }
}

/** The config's lease is held by another run. */
export class AlreadyRunningError extends ServiceError {
  constructor(
    readonly configId: string,
    readonly runningRunId: string,
  ) {
    super("ALREADY_RUNNING", `config ${configId} is already running (run ${runningRunId})`, 409, { runningRunId });
  }
}

/** Something asked for does not exist (a run, a conflict). */
export class NotFoundError extends ServiceError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`, 404);
  }
}

/** A request that is well-formed but not acceptable now (e.g. resolving a resolved conflict). */
export class ConflictStateError extends ServiceError {
  constructor(message: string) {
    super("CONFLICT_STATE", message, 409);
  }
}

/** Input that fails validation; `field` names the offending input field. */
export class ValidationError extends ServiceError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super("VALIDATION_FAILED", `${field}: ${problem}`, 400, { field });
  }
}
