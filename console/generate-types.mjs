// Writes src/schema.d.ts from api/admin.openapi.yaml. The API's programmatic form, not the CLI,
// because the CLI prints to stdout and `npm run -s sync` keeps stdout for the run's JSON.
import { writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";

const ast = await openapiTS(new URL("../api/admin.openapi.yaml", import.meta.url));
const header = "// Generated from api/admin.openapi.yaml by console/generate-types.mjs (npm run console:types). Do not edit.\n\n";
writeFileSync(new URL("./src/schema.d.ts", import.meta.url), header + astToString(ast));
