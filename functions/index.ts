/**
 * The app's entry point (package.json `main`): registers every function with the
 * Functions host. scripts/serve.ts serves the same definitions without Core Tools.
 */
import { app } from "@azure/functions";
import { getService } from "../shared/composition.js";
import { functionDefinitions } from "./definitions.js";

const { http, timer } = functionDefinitions(getService);
for (const fn of http) app.http(fn.name, fn.options);
app.timer(timer.name, timer.options);
