/**
 * Process start-up of telemetry, as Microsoft documents it for the Node.js v4 model
 * (https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto): the Azure Monitor
 * OpenTelemetry distro (`useAzureMonitor`) before the functions are registered, then the Azure
 * Functions instrumentation so the worker's spans and logs join the host's invocation; host.json
 * sets `telemetryMode: OpenTelemetry`. The distro sends with an Entra token when infra sets
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`ClientId=…;Authorization=AAD`), because the
 * Application Insights resource refuses key-only ingestion (infra/modules/monitoring.bicep).
 *
 * Without APPLICATIONINSIGHTS_CONNECTION_STRING (locally, in tests) nothing starts and the
 * terminal shows the JSON lines of shared/logging.ts as before.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import type { TokenCredential } from "@azure/core-auth";
import { ManagedIdentityCredential } from "@azure/identity";
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { logs } from "@opentelemetry/api-logs";
import { type Instrumentation, registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { QueryRedactingSpanProcessor } from "./redact.js";

/** Read by the distro and this module, not by shared/config/settings.ts; infra sets both. */
export const TELEMETRY_SETTINGS = ["APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] as const;

let started = false;

/** True once the distro is running: loggers then emit log records instead of terminal lines. */
export function telemetryStarted(): boolean {
  return started;
}

/** `ClientId=<id>;Authorization=AAD` → a managed-identity credential for the exporter. */
export function credentialFromAuthenticationString(value: string | undefined): TokenCredential | undefined {
  if (!value) return undefined;
  const parts = new Map(
    value
      .split(";")
      .map((p) => p.split("=").map((s) => s.trim()))
      .filter((p): p is [string, string] => p.length === 2)
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  if (parts.get("authorization")?.toLowerCase() !== "aad") {
    throw new Error("APPLICATIONINSIGHTS_AUTHENTICATION_STRING: Authorization must be AAD (e.g. ClientId=<client id>;Authorization=AAD)");
  }
  const clientId = parts.get("clientid");
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

/**
 * Starts the distro when a connection string is set. Returns whether it started. Call it
 * before the functions are registered (functions/index.ts does).
 */
export async function startTelemetry(env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  if (started) return true;
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) return false;
  const credential = credentialFromAuthenticationString(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) },
    instrumentationOptions: {
      http: { enabled: true },
      azureSdk: { enabled: true },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
      bunyan: { enabled: false },
      winston: { enabled: false },
    },
    spanProcessors: [new QueryRedactingSpanProcessor()],
  });
  // A webpack CJS bundle: from ESM its exports are only on the default export.
  const { default: instrumentation } = (await import("@azure/functions-opentelemetry-instrumentation")) as unknown as {
    default: typeof import("@azure/functions-opentelemetry-instrumentation");
  };
  const functions = new instrumentation.AzureFunctionsInstrumentationESM();
  registerInstrumentations({ loggerProvider: logs.getLoggerProvider(), instrumentations: [functions, ...appInstrumentations()] });
  functions.registerAzFunc(await import("@azure/functions"));
  applyToLoadedModules();
  started = true;
  return true;
}

/** What the distro does not instrument itself: fetch (undici), which the Meander client uses. */
export function appInstrumentations(): Instrumentation[] {
  return [new UndiciInstrumentation()];
}

/**
 * The instrumentations patch modules as they are `require`d; this app is ESM and imported the
 * HTTP modules and @azure/core-tracing already. Requiring them once more lets the patches run
 * (core-tracing keeps one state for its CJS and ESM builds), and syncBuiltinESMExports makes
 * `import * as https` namespaces (dynamics-web-api's) see the patched functions.
 */
export function applyToLoadedModules(): void {
  const require = createRequire(import.meta.url);
  require("node:http");
  require("node:https");
  require("@azure/core-tracing");
  syncBuiltinESMExports();
}
