/**
 * The app's entry point (package.json `main`): starts telemetry first (Application Insights when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set, see shared/telemetry/setup.ts), then registers
 * every function with the Functions host. The rest is imported after the start so the
 * instrumentations see the modules load. scripts/serve.ts serves the same definitions without Core Tools.
 */
import { startTelemetry } from "../shared/telemetry/setup.js";

await startTelemetry();
const [{ app }, { getService }, { functionDefinitions }] = await Promise.all([
  import("@azure/functions"),
  import("../shared/composition.js"),
  import("./definitions.js"),
]);

const { http, timer } = functionDefinitions(getService);
for (const fn of http) app.http(fn.name, fn.options);
app.timer(timer.name, timer.options);
