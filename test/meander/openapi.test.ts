/**
 * The contract document itself: valid OpenAPI 3.1 in structure, every $ref resolving,
 * every schema compiling under ajv 2020 strict mode, errors as problem details, and
 * the limits it states being the ones the client keeps.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { CONTRACT_LIMITS } from "../../shared/adapters/meander/index.js";
import { loadContract } from "../../sim/meander/contract.js";
import { oas31Schema } from "./oas31.schema.js";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
type Json = Record<string, unknown>;

const { document, validatorAt } = loadContract();
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
const validateOpenApi = ajv.compile(oas31Schema);

const at = (pointer: string): unknown =>
  pointer
    .replace(/^#?\//, "")
    .split("/")
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, part) => (node && typeof node === "object" ? (node as Json)[part] : undefined), document);

function refs(node: unknown, path = ""): { ref: string; path: string }[] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refs(n, `${path}/${i}`));
  if (!node || typeof node !== "object") return [];
  return Object.entries(node as Json).flatMap(([k, v]) => (k === "$ref" && typeof v === "string" ? [{ ref: v, path }] : refs(v, `${path}/${k}`)));
}

const deref = (node: Json): Json => (typeof node.$ref === "string" ? (at(node.$ref) as Json) : node);
const operations = Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ["get", "post", "put", "patch", "delete"].includes(method))
    .map(([method, operation]) => ({ path, method, operation: operation as Json })),
);

describe("the Meander sync contract document", () => {
  it("is structurally valid OpenAPI 3.1", () => {
    expect(validateOpenApi(document), JSON.stringify(validateOpenApi.errors?.slice(0, 5))).toBe(true);
  });

  it("the structural schema rejects broken documents", () => {
    const broken = structuredClone(document) as Json;
    delete (broken.info as Json).version;
    expect(validateOpenApi(broken)).toBe(false);
    const misspelt = structuredClone(document) as Json;
    const get = ((misspelt.paths as Json)["/sync/v1/{entity}/changes"] as { get: Json }).get;
    get.response = get.responses;
    delete get.responses;
    expect(validateOpenApi(misspelt)).toBe(false);
    const optionalPathParam = structuredClone(document) as { components: { parameters: { Entity: Json } } };
    optionalPathParam.components.parameters.Entity.required = false;
    expect(validateOpenApi(optionalPathParam)).toBe(false);
    expect(validateOpenApi({ ...document, openapi: "3.0.3" })).toBe(false);
    const badStatus = structuredClone(document) as Json;
    (((badStatus.paths as Json)["/sync/v1/{entity}/lookup"] as { post: { responses: Json } }).post.responses as Json)["2000"] = { description: "x" };
    expect(validateOpenApi(badStatus)).toBe(false);
  });

  it("resolves every $ref", () => {
    const all = refs(document);
    expect(all.length).toBeGreaterThan(30);
    const dangling = all.filter(({ ref }) => !ref.startsWith("#/") || at(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it("compiles every component schema with ajv 2020 in strict mode", () => {
    const names = Object.keys((document.components as { schemas: Json }).schemas);
    expect(names).toContain("Likeperson");
    for (const name of names) expect(() => validatorAt(`/components/schemas/${name}`), name).not.toThrow();
  });

  it("has unique operation ids and declares every path parameter", () => {
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of operations) {
      const declared = ((operation.parameters ?? []) as Json[])
        .map(deref)
        .filter((p) => p.in === "path")
        .map((p) => p.name);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.sort(), path).toEqual(templated.sort());
    }
  });

  it("documents one success and describes every failure as RFC 9457 problem details and 429 with Retry-After", () => {
    for (const { path, method, operation } of operations) {
      expect(
        Object.keys(operation.responses as Json).filter((s) => s.startsWith("2")),
        `${method} ${path}`,
      ).toHaveLength(1);
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (status.startsWith("2")) continue;
        const content = deref(response as Json).content as Json;
        expect(Object.keys(content), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
        expect((content["application/problem+json"] as { schema: Json }).schema.$ref).toBe("#/components/schemas/Problem");
      }
      const tooMany = deref((operation.responses as Json)["429"] as Json);
      expect((tooMany.headers as { "Retry-After": Json })["Retry-After"].required, `${method} ${path}`).toBe(true);
    }
  });

  it("states the limits the client keeps to", () => {
    const limitParam = ((at("/paths/~1sync~1v1~1{entity}~1changes/get/parameters") as Json[]).find((p) => p.name === "limit") as { schema: Json }).schema;
    expect(limitParam.maximum).toBe(CONTRACT_LIMITS.pageSize);
    expect(at("/components/schemas/BatchRequest/properties/operations/maxItems")).toBe(CONTRACT_LIMITS.batchSize);
    expect(at("/components/schemas/LookupRequest/properties/values/maxItems")).toBe(CONTRACT_LIMITS.lookupValues);
    expect(at("/components/schemas/IdsRequest/properties/ids/maxItems")).toBe(CONTRACT_LIMITS.ids);
    expect(at("/paths/~1sync~1v1~1{entity}~1records/get/parameters/1/schema/maxItems")).toBe(CONTRACT_LIMITS.ids);
  });
});
