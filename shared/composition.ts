/**
 * The composition root: builds the real adapters once per process from the settings and
 * hands the triggers a SyncService. Nothing else in the app constructs adapters.
 */
import type { TokenCredential } from "@azure/core-auth";
import { createIdentityTokenProvider, createPortalTokenProvider } from "./adapters/auth/index.js";
import { DataverseSide } from "./adapters/dataverse/index.js";
import type { EntitySettings } from "./adapters/dataverse/read.js";
import { checkConfigs, type Finding, LocalDateSide, localDateColumns, SchemaCheckedSide } from "./adapters/dataverse/schema/index.js";
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
import { FatalError, SettingsError, UnknownConfigError } from "./errors.js";
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
  readonly echoMemoryLimit?: number;
}

export interface ComposedService extends AdminService {
  readonly deps: EngineDeps;
  /** The configs (one, or all) checked against the Dataverse metadata; empty when the portal side is not Dataverse. */
  checkSchema(configId?: string): Promise<Finding[]>;
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

  const dataverseSide = overrides.sides?.portal ?? createDataverseSide(settings, configs, credential, logger, throttleEvents("portal"), secrets);
  // The real side gets the schema check before its first write (once per process) and
  // calendar dates on UserLocal columns; a side handed in by a test is used as it is.
  const configList = [...configs.values()].map((c) => c.config);
  const portal =
    dataverseSide instanceof DataverseSide
      ? new SchemaCheckedSide(
          new LocalDateSide(dataverseSide, localDateColumns(configList)),
          () =>
            checkConfigs(
              dataverseSide.client,
              configList.filter((c) => c.enabled),
            ),
          logger,
        )
      : dataverseSide;

  const meander =
    overrides.sides?.meander ??
    new MeanderSide({
      baseUrl: settings.meander.url,
      // Meander's own token endpoint when configured: a stand-in Meander never asks the real tenant.
      tokenSource: tokenSourceFromCredential(settings.meander.credentials ? createAzureCredential(settings.meander.credentials) : credential),
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
    ...(overrides.echoMemoryLimit !== undefined ? { echoMemoryLimit: overrides.echoMemoryLimit } : {}),
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
    async checkSchema(configId?: string): Promise<Finding[]> {
      if (!(dataverseSide instanceof DataverseSide)) return [];
      const chosen = configId === undefined ? configList : configList.filter((c) => c.id === configId);
      if (configId !== undefined && chosen.length === 0) throw new UnknownConfigError(configId);
      return await checkConfigs(dataverseSide.client, chosen);
    },
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

/** The Dataverse side as the settings describe it (its own tenant, client and credential). */
export function createDataverseSide(
  settings: Settings,
  configs: ReadonlyMap<string, CompiledConfig>,
  credential: TokenCredential,
  logger: Logger,
  events?: ResilienceEvents,
  secretSource?: SecretSource,
): DataverseSide {
  const { dataverse } = settings;
  const secrets = () =>
    secretSource ??
    createSecretSource({
      ...(settings.keyVaultUrl ? { keyVaultUrl: settings.keyVaultUrl } : {}),
      credential,
      localValues: { [dataverse.clientSecretName]: dataverse.clientSecret },
      logger,
    });
  // DATAVERSE_AUTH: the managed identity itself, a Key Vault certificate, or a client secret.
  const tokenProvider =
    dataverse.auth === "managedIdentity"
      ? createIdentityTokenProvider({ tenantId: dataverse.tenantId, clientId: dataverse.clientId, dataverseUrl: dataverse.url, credential })
      : createPortalTokenProvider({
          tenantId: dataverse.tenantId,
          clientId: dataverse.clientId,
          dataverseUrl: dataverse.url,
          authorityHost: dataverse.authorityHost,
          secretName: dataverse.auth === "certificate" ? dataverse.certificateName : dataverse.clientSecretName,
          secrets: secrets(),
          ...(dataverse.auth === "certificate" ? { certificate: true } : {}),
        });
  return new DataverseSide({
    url: dataverse.url,
    tokenProvider,
    entities: portalEntities(configs),
    batchSize: settings.portalBatchSize,
    pageSize: settings.pageSize,
    resilience: { concurrency: settings.portalConcurrency },
    ...(events ? { events } : {}),
    logger,
  });
}

/** Dataverse entity sets the configs use, with the columns each read selects. */
function portalEntities(configs: ReadonlyMap<string, CompiledConfig>) {
  const entities: Record<string, EntitySettings> = {};
  const shared = new Set<string>();
  for (const { config, portalColumns, createUnmatched } of configs.values()) {
    const { entity, scope, linkField } = config.portal;
    if (entities[entity]) shared.add(entity);
    // Narrowed only where the portal is a register the sync matches against and never fills
    // (createUnmatched false, the default for contacts: HLF's members, of whom few are in scope).
    // A portal table the sync creates Meander's people in holds mostly in-scope records: there the
    // narrowed feed reads each of them twice (the delta, then by id, ~30 ids a GET), and at 50,000
    // a side that pushed a first run into Dataverse's request limits (bench/README.md).
    const narrow = scope.length > 0 && !createUnmatched;
    entities[entity] = {
      idField: config.portal.idField,
      ...(config.portal.alternateKey ? { alternateKey: config.portal.alternateKey } : {}),
      select: [...new Set([...portalColumns, ...config.matchKeys.map((k) => k.portal), "modifiedon"])],
      // Only a scoped entity gains from a narrowed feed; with two configs on one entity set the scopes differ.
      ...(narrow && !shared.has(entity)
        ? {
            delta: {
              // The master lookup too: a contact merged away leaves scope like a deactivated one, and
              // only its masterid tells the two apart (a merge is followed; a deactivation retires the likeperson).
              select: [
                ...new Set([
                  ...scope.map((f) => f.field),
                  ...(linkField ? [linkField] : []),
                  ...(config.portal.masterField ? [config.portal.masterField] : []),
                  "statecode",
                  "modifiedon",
                ]),
              ],
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
