/** Checks real responses against api/admin.openapi.yaml (ajv, JSON Schema 2020-12). */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
        requestBody?: { content: Record<string, { schema: unknown }> };
      }
    >
  >;
  components: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
};

export const doc = parse(readFileSync(new URL("../../api/admin.openapi.yaml", import.meta.url), "utf8")) as Doc;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, "admin");

const compiled = new Map<string, ValidateFunction>();
const compile = (key: string, schema: unknown): ValidateFunction => {
  let v = compiled.get(key);
  if (!v) {
    // The document's refs are relative to its root: point them at the registered copy.
    v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"admin#/components')));
    compiled.set(key, v);
  }
  return v;
};

/** `/sync/{configId}/runs` for the function route `sync/{configId}/runs`. */
export const docPath = (route: string) => `/${route}`;

/** The documented response, or undefined when the status is not documented for the operation. */
function responseSchema(path: string, method: string, status: number): unknown {
  const response = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
  if (!response) return undefined;
  const resolved = response.$ref ? doc.components.responses[response.$ref.split("/").pop()!] : response;
  return resolved?.content?.["application/json"]?.schema;
}

/** The documented methods of a path, upper case. */
export const operationsOf = (path: string) =>
  Object.keys(doc.paths[path] ?? {})
    .filter((k) => k !== "parameters")
    .map((m) => m.toUpperCase());

/**
 * Throws with ajv's errors when the body does not match what the document promises.
 * A method the path does not take is checked against the path's documented 405.
 * Returns the operations the answer counts for.
 */
export function checkResponse(path: string, method: string, status: number, body: unknown): string[] {
  const ops = operationsOf(path);
  if (status === 405 && !ops.includes(method)) {
    for (const op of ops) checkResponse(path, op, status, body);
    return ops.map((op) => `${op} ${path} ${status}`);
  }
  const schema = responseSchema(path, method, status);
  if (schema === undefined) throw new Error(`${method} ${path} ${status} is not documented`);
  const validate = compile(`${method} ${path} ${status}`, schema);
  if (!validate(body)) throw new Error(`${method} ${path} ${status} does not match the document: ${ajv.errorsText(validate.errors)}`);
  return [`${method} ${path} ${status}`];
}

export function requestValidator(path: string, method: string): ValidateFunction {
  const schema = doc.paths[path]?.[method.toLowerCase()]?.requestBody?.content["application/json"]?.schema;
  return compile(`request ${method} ${path}`, schema);
}

export function documentedStatuses(): string[] {
  return Object.keys(doc.paths).flatMap((path) =>
    operationsOf(path).flatMap((op) => Object.keys(doc.paths[path]![op.toLowerCase()]!.responses).map((s) => `${op} ${path} ${s}`)),
  );
}
