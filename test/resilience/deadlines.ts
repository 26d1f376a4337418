/**
 * The real adapters built as the composition root builds them, but with a short deadline
 * per request: the production deadlines (125 s Dataverse, 30 s Meander) are too long to
 * wait for in a test of "an answer slower than the client's deadline".
 */
import type { TokenCredential } from "@azure/core-auth";
import { createPortalTokenProvider } from "../../shared/adapters/auth/index.js";
import { DataverseSide } from "../../shared/adapters/dataverse/index.js";
import { tokenSourceFromCredential } from "../../shared/adapters/identity.js";
import { createSecretSource } from "../../shared/adapters/keyvault/index.js";
import { MeanderSide } from "../../shared/adapters/meander/index.js";
import { loadCompiledConfigs } from "../../shared/config/syncConfig.js";
import type { Logger, RecordSide } from "../../shared/ports.js";
import type { ResilienceEvents } from "../../shared/resilience.js";
import { DEFAULT_TENANT_ID } from "../../sim/dataverse/index.js";
import { LOCAL_CLIENT, LOCAL_SECRET_NAME, MEANDER_SCOPE } from "../../sim/stack.js";

export interface DeadlineSidesOptions {
  readonly dataverseOrigin: string;
  readonly meanderUrl: string;
  readonly credential: TokenCredential;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly pageSize: number;
  readonly batchSize: number;
}

export function deadlineSides(o: DeadlineSidesOptions): { meander: RecordSide; portal: RecordSide } {
  const events = (side: string): ResilienceEvents => ({
    onThrottle: (retryAfterMs) => o.logger.warn("throttled: waiting as asked", { side, retryAfterMs }),
    onRetry: (attempt, delayMs, code) => o.logger.warn("retrying after a transient failure", { side, attempt, delayMs, code }),
  });
  const entities: Record<string, { idField: string; alternateKey?: string; select: string[] }> = {};
  for (const { config, portalColumns } of loadCompiledConfigs().values()) {
    entities[config.portal.entity] = {
      idField: config.portal.idField,
      ...(config.portal.alternateKey ? { alternateKey: config.portal.alternateKey } : {}),
      select: [...new Set([...portalColumns, ...config.matchKeys.map((k) => k.portal), "modifiedon"])],
    };
  }
  const portal = new DataverseSide({
    url: o.dataverseOrigin,
    tokenProvider: createPortalTokenProvider({
      tenantId: DEFAULT_TENANT_ID,
      clientId: LOCAL_CLIENT.clientId,
      dataverseUrl: o.dataverseOrigin,
      authorityHost: o.dataverseOrigin,
      secretName: LOCAL_SECRET_NAME,
      secrets: createSecretSource({ keyVaultUrl: o.dataverseOrigin, credential: o.credential }),
    }),
    entities,
    batchSize: o.batchSize,
    pageSize: o.pageSize,
    timeoutMs: o.timeoutMs,
    events: events("portal"),
    logger: o.logger,
  });
  const meander = new MeanderSide({
    baseUrl: o.meanderUrl,
    tokenSource: tokenSourceFromCredential(o.credential),
    scope: MEANDER_SCOPE,
    pageSize: o.pageSize,
    batchSize: o.batchSize,
    requestTimeoutMs: o.timeoutMs,
    events: events("meander"),
    logger: o.logger,
  });
  return { meander, portal };
}
