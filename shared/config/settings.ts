/**
 * App settings (README, "Settings"): read once, validated with zod, failing at start-up with
 * the setting's name and never its value (a value may be a secret or a connection string).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cron } from "croner";
import { z } from "zod";
import { MIN_KEY_LENGTH } from "../core/fingerprint.js";
import { SettingsError } from "../errors.js";

/** Every setting the code reads, in the order of the README's table. infra/ and local.settings.example.json list the same set. */
export const SETTING_NAMES = [
  "DATAVERSE_URL",
  "DATAVERSE_TENANT_ID",
  "DATAVERSE_CLIENT_ID",
  "DATAVERSE_AUTHORITY_HOST",
  "KEY_VAULT_URL",
  "DATAVERSE_CLIENT_SECRET_NAME",
  "DATAVERSE_CLIENT_SECRET",
  "DATAVERSE_AUTH",
  "DATAVERSE_CERTIFICATE_NAME",
  "SYNC_BASELINE_KEY_NAME",
  "SYNC_BASELINE_KEY",
  "MEANDER_API_URL",
  "MEANDER_API_SCOPE",
  "MEANDER_RECORD_URL",
  "MEANDER_TENANT_ID",
  "MEANDER_CLIENT_ID",
  "MEANDER_CLIENT_SECRET",
  "MEANDER_AUTHORITY_HOST",
  "AzureWebJobsStorage",
  "SYNC_TABLES_URL",
  "AZURE_CLIENT_ID",
  "SYNC_SCHEDULE",
  "SYNC_TIME_BUDGET_SECONDS",
  "SYNC_HTTP_TIME_BUDGET_SECONDS",
  "SYNC_PAGE_SIZE",
  "SYNC_PORTAL_BATCH_SIZE",
  "SYNC_MEANDER_BATCH_SIZE",
  "SYNC_PORTAL_CONCURRENCY",
  "SYNC_MEANDER_CONCURRENCY",
  "SYNC_LEASE_SECONDS",
  "SYNC_LEDGER_MAX_ATTEMPTS",
  "SYNC_RUN_RETENTION_DAYS",
  "SYNC_CONFIG_DIR",
  "SYNC_TABLE_PREFIX",
  "SYNC_ADMIN_ROLE",
  "WEBSITE_AUTH_ENABLED",
] as const;

export type SettingName = (typeof SETTING_NAMES)[number];

export type TablesSettings =
  /** Azurite or a storage account reached with a connection string (local use). */
  | { readonly kind: "connectionString"; readonly connectionString: string }
  /** The Table endpoint, reached with the managed identity (Azure). */
  | { readonly kind: "endpoint"; readonly url: string };

export interface Settings {
  readonly dataverse: {
    readonly url: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly authorityHost: string;
    /** Name of the Key Vault secret holding the client secret. */
    readonly clientSecretName: string;
    /** Local use only: the secret itself, when there is no Key Vault. */
    readonly clientSecret?: string;
    /**
     * How the service proves itself to Dataverse: a client secret (from Key Vault or local),
     * the Function App's managed identity (registered as the application user), or a Key
     * Vault certificate (MSAL client assertion). Nothing to rotate for the last two.
     */
    readonly auth: "secret" | "managedIdentity" | "certificate";
    /** Name of the Key Vault certificate for `certificate`. */
    readonly certificateName: string;
  };
  readonly keyVaultUrl?: string;
  /** The key of the baseline fingerprints (shared/core/fingerprint.ts): a Key Vault secret's name, or locally the key itself. */
  readonly baselineKey: { readonly secretName: string; readonly value?: string };
  readonly meander: {
    readonly url: string;
    readonly scope: string;
    readonly recordUrl?: string;
    /**
     * Meander's own token endpoint and client, when it is not reached with the service's
     * identity (a local stand-in next to a real Dataverse: its token never comes from the real tenant).
     */
    readonly credentials?: { readonly tenantId: string; readonly clientId: string; readonly clientSecret: string; readonly authorityHost: string };
  };
  readonly tables: TablesSettings;
  /** The user-assigned managed identity; undefined: the default credential chain decides. */
  readonly managedIdentityClientId?: string;
  readonly schedule: string;
  readonly timeBudgetSeconds: number;
  readonly httpTimeBudgetSeconds: number;
  readonly pageSize: number;
  readonly portalBatchSize: number;
  readonly meanderBatchSize: number;
  readonly portalConcurrency: number;
  readonly meanderConcurrency: number;
  readonly leaseSeconds: number;
  readonly ledgerMaxAttempts: number;
  readonly runRetentionDays: number;
  readonly configDir: string;
  readonly tablePrefix: string;
  readonly auth: AuthSettings;
}

export interface AuthSettings {
  /** App Service authentication is on: callers must carry the admin role. */
  readonly enabled: boolean;
  readonly adminRole: string;
}

/** The folder holding package.json: `configs/` lives there, in the source tree and in `dist/` builds alike. */
export function appRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

const parsedUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};
const withoutTrailingSlash = (url: URL) => url.href.replace(/\/+$/, "");

const httpsUrl = z.string().transform((value, ctx) => {
  const url = parsedUrl(value);
  if (url?.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: "must be an https URL" });
    return z.NEVER;
  }
  return withoutTrailingSlash(url);
});

/** https, or plain http on the loopback interface (the local simulators). */
const serviceUrl = z.string().transform((value, ctx) => {
  const url = parsedUrl(value);
  if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname)))) {
    ctx.addIssue({ code: "custom", message: "must be an https URL (plain http only on localhost)" });
    return z.NEVER;
  }
  return withoutTrailingSlash(url);
});

const guid = z.string().regex(GUID, "must be a GUID");
const tenant = z.string().regex(/^([0-9a-f-]{36}|[a-z0-9][a-z0-9.-]{0,252})$/i, "must be a tenant GUID or domain");
const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

/** NCRONTAB as Azure Functions reads it: six fields, seconds first. */
const schedule = z.string().superRefine((value, ctx) => {
  if (value.trim().split(/\s+/).length !== 6) {
    ctx.addIssue({ code: "custom", message: "must be an NCRONTAB expression with six fields (seconds first)" });
    return;
  }
  try {
    new Cron(value, { paused: true }).stop();
  } catch {
    ctx.addIssue({ code: "custom", message: "is not a valid NCRONTAB expression" });
  }
});

/** Key=value pairs as Azure Storage connection strings are written; never echoed back. */
const connectionString = z
  .string()
  .refine((value) => /^\s*([^=;]+=[^;]*;?\s*)+$/.test(value) && /(UseDevelopmentStorage|AccountName|TableEndpoint)=/i.test(value), {
    message: "must be a storage connection string",
  });

const schema = z
  .object({
    DATAVERSE_URL: httpsUrl,
    DATAVERSE_TENANT_ID: tenant,
    DATAVERSE_CLIENT_ID: guid,
    DATAVERSE_AUTHORITY_HOST: httpsUrl.default("https://login.microsoftonline.com"),
    KEY_VAULT_URL: httpsUrl.optional(),
    DATAVERSE_CLIENT_SECRET_NAME: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault secret name (letters, digits, dashes)")
      .default("dataverse-client-secret"),
    DATAVERSE_CLIENT_SECRET: z.string().optional(),
    SYNC_BASELINE_KEY_NAME: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault secret name (letters, digits, dashes)")
      .default("sync-baseline-key"),
    SYNC_BASELINE_KEY: z.string().min(MIN_KEY_LENGTH, `must be at least ${MIN_KEY_LENGTH} characters`).optional(),
    MEANDER_API_URL: serviceUrl,
    MEANDER_API_SCOPE: z.string().regex(/^\S+$/, "must be a token scope such as api://meander/.default"),
    // Where a person opens a Meander record from a review item: {entity} and {id} are filled in.
    MEANDER_RECORD_URL: z
      .string()
      .regex(/^https?:\/\/\S*\{id\}\S*$/, "must be an http(s) URL template containing {id} (and optionally {entity})")
      .optional(),
    DATAVERSE_AUTH: z.enum(["secret", "managedIdentity", "certificate"], { error: "must be secret, managedIdentity or certificate" }).default("secret"),
    DATAVERSE_CERTIFICATE_NAME: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, "must be a Key Vault certificate name (letters, digits, dashes)")
      .default("dataverse-client-certificate"),
    MEANDER_TENANT_ID: tenant.optional(),
    MEANDER_CLIENT_ID: guid.optional(),
    MEANDER_CLIENT_SECRET: z.string().optional(),
    MEANDER_AUTHORITY_HOST: httpsUrl.default("https://login.microsoftonline.com"),
    AzureWebJobsStorage: connectionString.optional(),
    SYNC_TABLES_URL: serviceUrl.optional(),
    AZURE_CLIENT_ID: guid.optional(),
    SYNC_SCHEDULE: schedule.default("0 */15 * * * *"),
    // Below the 10-minute functionTimeout in host.json: the run stops cleanly first.
    SYNC_TIME_BUDGET_SECONDS: int(10, 580, 480),
    // Below the 230 s the front end waits for an HTTP response.
    SYNC_HTTP_TIME_BUDGET_SECONDS: int(5, 220, 200),
    // Dataverse returns at most 5,000 rows a page.
    SYNC_PAGE_SIZE: int(1, 5000, 5000),
    // A Dataverse $batch holds at most 1,000 requests.
    SYNC_PORTAL_BATCH_SIZE: int(1, 1000, 100),
    SYNC_MEANDER_BATCH_SIZE: int(1, 1000, 500),
    // Dataverse allows 52 concurrent requests per user.
    SYNC_PORTAL_CONCURRENCY: int(1, 52, 8),
    SYNC_MEANDER_CONCURRENCY: int(1, 64, 8),
    SYNC_LEASE_SECONDS: int(15, 600, 60),
    SYNC_LEDGER_MAX_ATTEMPTS: int(1, 100, 10),
    SYNC_RUN_RETENTION_DAYS: int(1, 3650, 90),
    SYNC_CONFIG_DIR: z.string().optional(),
    // Table names: letters and digits, starting with a letter; the longest suffix is "conflicts".
    SYNC_TABLE_PREFIX: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{0,29}$/, "must be letters and digits, starting with a letter, at most 30 characters")
      .default("sync"),
    SYNC_ADMIN_ROLE: z
      .string()
      .regex(/^\S{1,128}$/, "must be a role name without spaces")
      .default("SyncAdmin"),
    WEBSITE_AUTH_ENABLED: z.string().optional(),
  })
  .superRefine((s, ctx) => {
    const meanderOwn = [s.MEANDER_TENANT_ID, s.MEANDER_CLIENT_ID, s.MEANDER_CLIENT_SECRET].filter((v) => v !== undefined).length;
    if (meanderOwn > 0 && meanderOwn < 3) {
      const missing = !s.MEANDER_TENANT_ID ? "MEANDER_TENANT_ID" : !s.MEANDER_CLIENT_ID ? "MEANDER_CLIENT_ID" : "MEANDER_CLIENT_SECRET";
      ctx.addIssue({ code: "custom", path: [missing], message: "is required with the other MEANDER_TENANT_ID / MEANDER_CLIENT_ID / MEANDER_CLIENT_SECRET" });
    }
    if (s.DATAVERSE_AUTH === "certificate" && !s.KEY_VAULT_URL) {
      ctx.addIssue({ code: "custom", path: ["KEY_VAULT_URL"], message: "is required with DATAVERSE_AUTH=certificate (the certificate is in Key Vault)" });
    }
    if (s.DATAVERSE_AUTH === "secret" && !s.KEY_VAULT_URL && !s.DATAVERSE_CLIENT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["DATAVERSE_CLIENT_SECRET"], message: "is required when KEY_VAULT_URL is not set" });
    }
    if (!s.SYNC_TABLES_URL && !s.AzureWebJobsStorage) {
      ctx.addIssue({
        code: "custom",
        path: ["SYNC_TABLES_URL"],
        message: "is required when AzureWebJobsStorage is not a connection string (identity-based storage)",
      });
    }
  });

type Env = Readonly<Record<string, string | undefined>>;

/** Empty strings count as unset: Azure and local.settings.json often carry blank values. */
function present(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") out[name] = value.trim();
  }
  return out;
}

function toSettingsError(error: z.ZodError): SettingsError {
  const problems = error.issues.map((issue) => ({
    name: String(issue.path[0] ?? "settings"),
    // zod's own messages for a missing value mention the expected type, never the value.
    message: issue.code === "invalid_type" ? "is required" : issue.message,
  }));
  const [first, ...rest] = problems;
  const others = [...new Set(rest.map((p) => p.name).filter((n) => n !== first?.name))];
  return new SettingsError(first?.name ?? "settings", `${first?.message ?? "invalid"}${others.length ? ` (also invalid: ${others.join(", ")})` : ""}`);
}

export const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

/** Validates the environment; throws SettingsError naming the first bad setting (and the others). */
export function loadSettings(env: Env): Settings {
  const parsed = schema.safeParse(present(env));
  if (!parsed.success) throw toSettingsError(parsed.error);
  const s = parsed.data;
  return {
    dataverse: {
      url: s.DATAVERSE_URL,
      tenantId: s.DATAVERSE_TENANT_ID,
      clientId: s.DATAVERSE_CLIENT_ID,
      authorityHost: s.DATAVERSE_AUTHORITY_HOST,
      clientSecretName: s.DATAVERSE_CLIENT_SECRET_NAME,
      ...(s.DATAVERSE_CLIENT_SECRET ? { clientSecret: s.DATAVERSE_CLIENT_SECRET } : {}),
      auth: s.DATAVERSE_AUTH,
      certificateName: s.DATAVERSE_CERTIFICATE_NAME,
    },
    ...(s.KEY_VAULT_URL ? { keyVaultUrl: s.KEY_VAULT_URL } : {}),
    baselineKey: { secretName: s.SYNC_BASELINE_KEY_NAME, ...(s.SYNC_BASELINE_KEY ? { value: s.SYNC_BASELINE_KEY } : {}) },
    meander: {
      url: s.MEANDER_API_URL,
      scope: s.MEANDER_API_SCOPE,
      ...(s.MEANDER_RECORD_URL ? { recordUrl: s.MEANDER_RECORD_URL } : {}),
      ...(s.MEANDER_TENANT_ID && s.MEANDER_CLIENT_ID && s.MEANDER_CLIENT_SECRET
        ? {
            credentials: {
              tenantId: s.MEANDER_TENANT_ID,
              clientId: s.MEANDER_CLIENT_ID,
              clientSecret: s.MEANDER_CLIENT_SECRET,
              authorityHost: s.MEANDER_AUTHORITY_HOST,
            },
          }
        : {}),
    },
    tables: s.SYNC_TABLES_URL ? { kind: "endpoint", url: s.SYNC_TABLES_URL } : { kind: "connectionString", connectionString: s.AzureWebJobsStorage ?? "" },
    ...(s.AZURE_CLIENT_ID ? { managedIdentityClientId: s.AZURE_CLIENT_ID } : {}),
    schedule: s.SYNC_SCHEDULE,
    timeBudgetSeconds: s.SYNC_TIME_BUDGET_SECONDS,
    httpTimeBudgetSeconds: s.SYNC_HTTP_TIME_BUDGET_SECONDS,
    pageSize: s.SYNC_PAGE_SIZE,
    portalBatchSize: s.SYNC_PORTAL_BATCH_SIZE,
    meanderBatchSize: s.SYNC_MEANDER_BATCH_SIZE,
    portalConcurrency: s.SYNC_PORTAL_CONCURRENCY,
    meanderConcurrency: s.SYNC_MEANDER_CONCURRENCY,
    leaseSeconds: s.SYNC_LEASE_SECONDS,
    ledgerMaxAttempts: s.SYNC_LEDGER_MAX_ATTEMPTS,
    runRetentionDays: s.SYNC_RUN_RETENTION_DAYS,
    configDir: s.SYNC_CONFIG_DIR ?? join(appRoot(), "configs"),
    tablePrefix: s.SYNC_TABLE_PREFIX,
    auth: { enabled: isTrue(s.WEBSITE_AUTH_ENABLED), adminRole: s.SYNC_ADMIN_ROLE },
  };
}

/**
 * Only what the HTTP triggers need to authorise a caller. Kept apart from loadSettings
 * so that a broken Dataverse setting cannot turn authorisation off or into a 500.
 */
export function loadAuthSettings(env: Env): AuthSettings {
  const role = env.SYNC_ADMIN_ROLE?.trim();
  return { enabled: isTrue(env.WEBSITE_AUTH_ENABLED), adminRole: role && /^\S{1,128}$/.test(role) ? role : "SyncAdmin" };
}

/**
 * The environment with local.settings.json's `Values` under it, as Core Tools does:
 * a variable already in the environment wins. A missing file is no error.
 */
export function readLocalSettings(dir: string, env: Env = process.env): Record<string, string | undefined> {
  const file = join(dir, "local.settings.json");
  if (!existsSync(file)) return { ...env };
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(file, "utf8")) as { Values?: unknown }).Values;
  } catch {
    throw new SettingsError("local.settings.json", "is not valid JSON");
  }
  const local: Record<string, string> = {};
  if (values && typeof values === "object") {
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") local[name] = String(value);
    }
  }
  const merged: Record<string, string | undefined> = { ...local };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}
