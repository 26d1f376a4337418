/**
 * The Meander sync contract as data: the OpenAPI document and JSON-Schema validators
 * built from its component schemas. The simulator validates requests with it and the
 * contract tests validate responses with it, so neither can drift from the document.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

// ajv-formats is CommonJS with a default export; NodeNext sees the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const SCHEMA_BASE = "https://meander.example/sync-contract.json";

/** Where the document lives: next to the sources, or two levels further up when running from `dist/`. */
export function contractPath(): string {
  for (const relative of ["../../api/meander-sync.openapi.yaml", "../../../api/meander-sync.openapi.yaml"]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("api/meander-sync.openapi.yaml not found");
}

export interface FieldProblem {
  readonly pointer?: string;
  readonly parameter?: string;
  readonly detail: string;
}

export interface Contract {
  readonly document: Record<string, unknown>;
  /** Validates `value` against `#/components/schemas/<name>`; an empty list means valid. */
  check(name: string, value: unknown, pointerPrefix?: string): FieldProblem[];
  /** A validator for any JSON pointer into the document that holds a schema. */
  validatorAt(pointer: string): ValidateFunction;
}

let cached: Contract | undefined;

export function loadContract(): Contract {
  if (cached) return cached;
  const document = parse(readFileSync(contractPath(), "utf8")) as Record<string, unknown>;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  // Only the schemas are JSON Schema; `components` is a container ajv should not interpret.
  ajv.addKeyword("components");
  ajv.addSchema({ $id: SCHEMA_BASE, components: document.components });
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string): ValidateFunction => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${SCHEMA_BASE}#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };
  cached = {
    document,
    validatorAt,
    check(name, value, pointerPrefix = "") {
      const validate = validatorAt(`/components/schemas/${name}`);
      if (validate(value)) return [];
      return (validate.errors ?? [])
        .filter((e) => !["if", "allOf", "oneOf", "anyOf"].includes(e.keyword))
        .map((e) => {
          const missing = (e.params as { missingProperty?: string }).missingProperty;
          const extra = (e.params as { additionalProperty?: string }).additionalProperty;
          const leaf = missing ?? extra;
          return {
            pointer: `${pointerPrefix}${e.instancePath}${leaf ? `/${leaf}` : ""}`,
            detail: extra ? "is not a known field" : (e.message ?? "is invalid"),
          };
        });
    },
  };
  return cached;
}
