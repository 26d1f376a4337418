/**
 * The composition root: builds the real adapters once per process from the settings and
 * hands the triggers a SyncService. Nothing else in the app constructs adapters.
 */
import type { TokenCredential } from "@azure/core-auth";
import { createPortalTokenProvider } from "./adapters/auth/index.js";
import { DataverseSide } from "./adapters/dataverse/index.js";
import type { EntitySettings } from "./adapters/dataverse/read.js";
import { createAzureCredential, tokenSourceFromCredential } from "./adapters/identity.js";
import { createSecretSource } from "./adapters/keyvault/index.js";
import { MeanderSide } from "./adapters/meander/index.js";
import { createTables, type Tables } from "./adapters/tables/index.js";
import { createAdminQueries } from "./adminQueries.js";
import { appRoot, loadSettings, readLocalSettings, type Settings } from "./config/settings.js";
import { loadCompiledConfigs } from "./config/syncConfig.js";
import type { CompiledConfig } from "./core/compile.js";
import { createFingerprinter, type Fingerprinter, MIN_KEY_LENGTH } from "./core/fingerprint.js";
import { inScope } from "./core/matching.js";
import { FatalError, SettingsError } from "./errors.js";
import { createProcessLogger } from "./logging.js";
import type { Clock, Logger, RecordSide, SecretSource } from "./ports.js";
import type { ResilienceEvents } from "./resilience.js";
import type { AdminService } from "./service.js";
import type { EngineDeps } from "./sync/deps.js";
import { createSyncService } from "./sync/service.js";
import { createRunMetrics } from "./telemetry/metrics.js";
import { instrumentRuns } from "./telemetry/run.js";

export interface ServiceOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly credential?: TokenCredential;
  readonly sides?: Partial<Record<"meander" | "portal", RecordSide>>;
  readonly pause?: EngineDeps["pause"];
  readonly newRunId?: () => string;
}

export interface ComposedService extends AdminService {
  readonly deps: EngineDeps;
  readonly tables: Tables;
  readonly sides: { readonly meander: RecordSide; readonly portal: RecordSide };
}

const systemClock: Clock = { now: () => new Date() };

export async function createService(settings: Settings, overrides: ServiceOverrides = {}): Promise<ComposedService> {
  const logger = overrides.logger ?? createProcessLogger();
  const runMetrics = createRunMetrics();
  const clock = overrides.clock ?? systemClock;
  const configs = loadCompiledConfigs(settings.configDir);
  const { dataverse } = settings;
  const credential =
    overrides.credential ??
    createAzureCredential({
      ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
      tenantId: dataverse.tenantId,
      clientId: dataverse.clientId,
      ...(dataverse.clientSecret ? { clientSecret: dataverse.clientSecret } : {}),
      authorityHost: dataverse.authorityHost,
    });

  const throttleEvents = (side: string): ResilienceEvents => ({
    onThrottle: (retryAfterMs) => {
      logger.warn("throttled: waiting as asked", { side, retryAfterMs });
      runMetrics.recordThrottle(side, retryAfterMs);
    },
    onBreak: () => logger.warn("circuit opened after repeated failures: calls paused", { side }),
    // Without it a burst of 5xx or dropped connections that the retries absorb leaves no trace for operators.
    onRetry: (attempt, delayMs, code) => logger.warn("retrying after a transient failure", { side, attempt, delayMs, code }),
  });

  const secrets = createSecretSource({
    ...(settings.keyVaultUrl ? { keyVaultUrl: settings.keyVaultUrl } : {}),
    credential,
    localValues: { [dataverse.clientSecretName]: dataverse.clientSecret, [settings.baselineKey.secretName]: settings.baselineKey.value },
    logger,
  });
  const baselineFingerprint = await baselineFingerprinter(settings, secrets);

  const portal =
    overrides.sides?.portal ??
    new DataverseSide({
      url: dataverse.url,
      tokenProvider: createPortalTokenProvider({
        tenantId: dataverse.tenantId,
        clientId: dataverse.clientId,
        dataverseUrl: dataverse.url,
        authorityHost: dataverse.authorityHost,
        secretName: dataverse.clientSecretName,
        secrets,
      }),
      entities: portalEntities(configs),
      batchSize: settings.portalBatchSize,
      pageSize: settings.pageSize,
      resilience: { concurrency: settings.portalConcurrency },
      events: throttleEvents("portal"),
      logger,
    });

  const meander =
    overrides.sides?.meander ??
    new MeanderSide({
      baseUrl: settings.meander.url,
      tokenSource: tokenSourceFromCredential(credential),
      scope: settings.meander.scope,
      pageSize: settings.pageSize,
      batchSize: settings.meanderBatchSize,
      concurrency: settings.meanderConcurrency,
      events: throttleEvents("meander"),
      logger,
    });

  const tables = createTables({
    ...(settings.tables.kind === "connectionString" ? { connectionString: settings.tables.connectionString } : { endpoint: settings.tables.url, credential }),
    prefix: settings.tablePrefix,
    clock,
    events: throttleEvents("tables"),
  });
  await tables.ensureTables();

  const deps: EngineDeps = {
    configs,
    sides: { meander, portal },
    state: tables.state,
    runs: tables.runs,
    locks: tables.locks,
    clock,
    logger,
    settings: {
      timeBudgetMs: settings.timeBudgetSeconds * 1000,
      httpTimeBudgetMs: Math.min(settings.httpTimeBudgetSeconds, settings.timeBudgetSeconds) * 1000,
      pageSize: settings.pageSize,
      leaseMs: settings.leaseSeconds * 1000,
      ledgerMaxAttempts: settings.ledgerMaxAttempts,
      retentionDays: settings.runRetentionDays,
      recordUrls: { dataverseUrl: settings.dataverse.url, ...(settings.meander.recordUrl ? { meanderTemplate: settings.meander.recordUrl } : {}) },
    },
    baselineFingerprint,
    ...(overrides.pause ? { pause: overrides.pause } : {}),
    ...(overrides.newRunId ? { newRunId: overrides.newRunId } : {}),
  };
  return {
    ...instrumentRuns(createSyncService(deps), runMetrics),
    ...createAdminQueries({
      enabled: new Map([...configs].map(([id, { config }]) => [id, config.enabled])),
      runs: tables.runs,
      state: tables.state,
      clock,
      schedule: settings.schedule,
    }),
    deps,
    tables,
    sides: { meander, portal },
  };
}

/**
 * The key of the baseline fingerprints, read once: from Key Vault in Azure, from
 * SYNC_BASELINE_KEY locally. Never stored with the links it protects.
 */
async function baselineFingerprinter(settings: Settings, secrets: SecretSource): Promise<Fingerprinter> {
  const { secretName } = settings.baselineKey;
  if (!settings.keyVaultUrl && !settings.baselineKey.value) throw new SettingsError("SYNC_BASELINE_KEY", "is required when KEY_VAULT_URL is not set");
  const key = await secrets.getSecret(secretName);
  if (key.length < MIN_KEY_LENGTH)
    throw new FatalError("SECRET_INVALID", `secret ${secretName} (the baseline key) must be at least ${MIN_KEY_LENGTH} characters`);
  return createFingerprinter(key);
}

/** Dataverse entity sets the configs use, with the columns each read selects. */
function portalEntities(configs: ReadonlyMap<string, CompiledConfig>) {
  const entities: Record<string, EntitySettings> = {};
  const shared = new Set<string>();
  for (const { config, portalColumns } of configs.values()) {
    const { entity, scope, linkField } = config.portal;
    if (entities[entity]) shared.add(entity);
    entities[entity] = {
      idField: config.portal.idField,
      ...(config.portal.alternateKey ? { alternateKey: config.portal.alternateKey } : {}),
      select: [...new Set([...portalColumns, ...config.matchKeys.map((k) => k.portal), "modifiedon"])],
      // Only a scoped entity gains from a narrowed feed; with two configs on one entity set the scopes differ.
      ...(scope.length && !shared.has(entity)
        ? {
            delta: {
              select: [...new Set([...scope.map((f) => f.field), ...(linkField ? [linkField] : []), "statecode", "modifiedon"])],
              inScope: (data: Readonly<Record<string, unknown>>) => inScope(scope, data),
            },
          }
        : {}),
    };
    if (shared.has(entity)) delete (entities[entity] as { delta?: unknown }).delta;
  }
  return entities;
}

let processService: Promise<AdminService> | undefined;

/** The process's service, built on first use from the environment (and local.settings.json where present). */
export function getService(): Promise<AdminService> {
  processService ??= createService(loadSettings(readLocalSettings(appRoot()))).catch((error) => {
    processService = undefined;
    throw error;
  });
  return processService;
}

/** Installs a service built elsewhere (the local stack, tests); undefined clears it. */
export function setServiceForProcess(service: Promise<AdminService> | undefined): void {
  processService = service;
}
