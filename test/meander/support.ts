/**
 * Test support for the Meander side: a token source the simulator accepts, and a
 * checker that validates every answer the simulator gives against the OpenAPI document.
 */
import type { TokenSource } from "../../shared/ports.js";
import { loadContract } from "../../sim/meander/contract.js";
import type { Exchange } from "../../sim/meander/index.js";

export const SCOPE = "api://meander-sync/.default";
export const TOKEN = "sim-token";

export const staticTokens = (token = TOKEN): TokenSource & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    async getToken(scope: string) {
      calls.push(scope);
      return token;
    },
  };
};

type Json = Record<string, unknown>;

/** Validates exchanges against the document: path, method, status, content type, headers and body schema. */
export function contractChecker() {
  const contract = loadContract();
  const paths = contract.document.paths as Record<string, Json>;
  const templates = Object.keys(paths).map((template) => ({
    template,
    regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
  }));
  const problems: string[] = [];
  const seen: Exchange[] = [];

  const resolve = (node: Json): { node: Json; pointer?: string } => {
    const ref = node.$ref;
    if (typeof ref !== "string") return { node };
    const parts = ref.replace(/^#\//, "").split("/");
    let current: unknown = contract.document;
    for (const part of parts) current = (current as Json)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
    return { node: current as Json, pointer: ref.slice(1) };
  };

  function check(exchange: Exchange): string[] {
    const where = `${exchange.method} ${exchange.path} ${exchange.status}`;
    const found = templates.find((t) => t.regex.test(exchange.path));
    if (!found) return [`${where}: path not in the document`];
    const operation = paths[found.template]?.[exchange.method.toLowerCase()] as Json | undefined;
    if (!operation) return [`${where}: method not in the document`];
    const responses = operation.responses as Json;
    const declared = (responses[String(exchange.status)] ?? responses.default) as Json | undefined;
    if (!declared) return [`${where}: status not in the document`];
    const response = resolve(declared).node;
    const out: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const value = exchange.headers[name.toLowerCase()];
      const schema = header.schema as Json;
      if (value === undefined) {
        if (header.required) out.push(`${where}: header ${name} missing`);
      } else if (schema.type === "integer" && !/^\d+$/.test(value)) out.push(`${where}: header ${name} not an integer`);
      else if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${where}: header ${name} not in its enum`);
    }
    const contentType = exchange.headers["content-type"] ?? "";
    const media = (response.content as Json | undefined)?.[contentType] as Json | undefined;
    if (!media) return [...out, `${where}: content type ${contentType} not documented`];
    const schemaRef = (media.schema as Json).$ref;
    if (typeof schemaRef !== "string") return [...out, `${where}: inline response schemas are not supported by this checker`];
    const validate = contract.validatorAt(schemaRef.slice(1));
    if (!validate(exchange.body)) out.push(`${where}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    // The document allows either entity's data in a record; the path says which one it must be.
    const entity = found.regex.exec(exchange.path)?.[1];
    const shape = entity === "likepersons" ? "Likeperson" : entity === "activities" ? "Activity" : undefined;
    const items = (exchange.body as { items?: unknown } | null)?.items;
    if (shape && Array.isArray(items)) {
      for (const item of items as Json[]) {
        if (item.data !== undefined && contract.check(shape, item.data).length > 0) out.push(`${where}: item ${String(item.id)} is not a ${shape}`);
      }
    }
    return out;
  }

  return {
    observe(exchange: Exchange) {
      seen.push(exchange);
      problems.push(...check(exchange));
    },
    check,
    problems,
    seen,
  };
}

/** A seedable likeperson with obviously synthetic values. */
export const likeperson = (i: number, overrides: Record<string, unknown> = {}) => ({
  id: `lp-${String(i).padStart(4, "0")}`,
  memberNumber: String(1000 + i).padStart(7, "0"),
  firstName: "Test",
  lastName: `Person${i}`,
  contact: { email: `Test.Person${i}@Example.com`, mobile: `+47 9${String(i).padStart(7, "0")}` },
  address: { postalCode: "5003", city: "Bergen" },
  chapter: "HLF Bergen",
  status: "active",
  trainingCompletedOn: "2024-03-01",
  portalContactId: null,
  ...overrides,
});

export const activity = (i: number, likepersonId: string) => ({
  id: `act-${i}`,
  likepersonId,
  date: "2025-10-01",
  kind: "conversation",
  hours: 1.5,
  peopleReached: 2,
  chapter: "HLF Bergen",
});

/** Quick retries for tests; the policy is the production one. */
export const fastRetries = { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 5 } as const;
