/**
 * Sync configs: JSON files in `configs/`, validated with zod at start-up. An invalid
 * config is a start-up error (ConfigError) naming the file and the field path, never a value.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { type CompiledConfig, compileConfig } from "../core/compile.js";
import type { SyncConfig } from "../core/configTypes.js";
import { TRANSFORM_NAMES } from "../core/transforms.js";
import { ConfigError } from "../errors.js";

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const direction = z.enum(["both", "toPortal", "toMeander"]);
const owner = z.enum(["portal", "meander", "newest", "manual"]);
const transform = z.enum(TRANSFORM_NAMES, { error: `unknown transform (expected one of ${TRANSFORM_NAMES.join(", ")})` });
const entity = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);
/** Dataverse logical names; no dots, so a portal target is never read as a nested path. */
const column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);
const meanderPath = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/);

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const scopeFilter = (field: z.ZodString) =>
  z.discriminatedUnion(
    "op",
    [
      z.strictObject({ field, op: z.literal("notNull") }),
      z.strictObject({ field, op: z.literal("eq"), value: scalar }),
      z.strictObject({ field, op: z.literal("in"), values: z.array(scalar).min(1) }),
      z.strictObject({ field, op: z.literal("notIn"), values: z.array(scalar).min(1) }),
    ],
    { error: "a scope filter is { field, op: notNull } | { field, op: eq, value } | { field, op: in | notIn, values }" },
  );

const deleteAction = z.enum(["delete", "unlink", "retire", "deactivate"]);
/** Values in each side's own shape; compileConfig checks that every key is a mapped field of that side. */
const sideValues = z.strictObject({
  portal: z.record(column, scalar).optional(),
  meander: z.record(meanderPath, scalar).optional(),
});

const fieldSchema = z.strictObject({
  meander: meanderPath,
  portal: column,
  direction: direction.optional(),
  owner: owner.optional(),
  transform: z.union([transform, z.array(transform)], { error: `unknown transform (expected one of ${TRANSFORM_NAMES.join(", ")})` }).optional(),
  valueMap: z.record(z.string(), scalar).optional(),
  default: scalar.optional(),
  required: z.boolean().optional(),
  lookup: z.strictObject({ config: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/), entitySet: entity, navigationProperty: column.optional() }).optional(),
  timeZone: z.string().refine(isTimeZone, "not an IANA time zone (e.g. Europe/Oslo)").optional(),
});

export const syncConfigSchema: z.ZodType<SyncConfig> = z.strictObject({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "must be lowercase letters, digits and dashes, starting with a letter (at most 63)"),
  enabled: z.boolean().default(true),
  description: z.string().max(500).optional(),
  direction,
  meander: z.strictObject({
    entity,
    linkField: meanderPath.optional(),
    scope: z.array(scopeFilter(meanderPath)).default([]),
    matchScope: z.array(scopeFilter(meanderPath)).optional(),
  }),
  portal: z.strictObject({
    entity,
    idField: column,
    linkField: column.optional(),
    alternateKey: column.optional(),
    scope: z.array(scopeFilter(column)).default([]),
    logicalName: entity.optional(),
    masterField: column.optional(),
    allowDelete: z.boolean().optional(),
    createUnmatched: z.boolean().optional(),
    matchScope: z.array(scopeFilter(column)).optional(),
  }),
  matchKeys: z
    .array(
      z.strictObject({
        meander: meanderPath,
        portal: column,
        normalize: z.enum(["memberNumber", "email", "phone", "none"]).default("none"),
        autoCouple: z.boolean().optional(),
      }),
    )
    .default([]),
  fields: z.array(fieldSchema).min(1),
  reviewFields: z.array(meanderPath).optional(),
  conflictPolicy: owner.default("manual"),
  deletePolicy: z
    .strictObject({
      meanderDeleted: deleteAction.default("unlink"),
      portalDeleted: deleteAction.default("unlink"),
      retire: sideValues.optional(),
    })
    .default({ meanderDeleted: "unlink", portalDeleted: "unlink" }),
  scopeExit: sideValues.optional(),
  massDeleteGuard: z
    .strictObject({ maxDeletes: z.number().int().min(0).default(50), maxPercent: z.number().min(0).max(100).default(5) })
    .default({ maxDeletes: 50, maxPercent: 5 }),
});

const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((text, segment) => (typeof segment === "number" ? `${text}[${segment}]` : text ? `${text}.${String(segment)}` : String(segment)), "");

/** Validates one parsed JSON document. zod's messages name types and expectations, not the input. */
export function parseConfig(raw: unknown, file: string): SyncConfig {
  const result = syncConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === "unrecognized_keys") throw new ConfigError(file, formatPath([...issue.path, issue.keys[0] ?? ""]), "unknown key");
    throw new ConfigError(file, formatPath(issue.path), issue.message);
  }
  const { $schema: _ignored, ...config } = result.data as SyncConfig & { $schema?: string };
  compileConfig(config, file);
  return config;
}

/** The repo's `configs/` folder, found from this module in the sources and in `dist/`. */
export function defaultConfigDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "configs"))) return join(dir, "configs");
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../configs");
}

/** Every `*.json` in `dir`, sorted by name, validated; duplicate ids and dangling lookups are errors. */
export function loadConfigs(dir: string = defaultConfigDir()): SyncConfig[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const configs: SyncConfig[] = [];
  const seen = new Map<string, string>();
  for (const name of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, name), "utf8"));
    } catch {
      // The parser's message quotes the text around the error, which may be data.
      throw new ConfigError(name, "", "not valid JSON");
    }
    const config = parseConfig(raw, name);
    const other = seen.get(config.id);
    if (other) throw new ConfigError(name, "id", `duplicate config id (also in ${other})`);
    seen.set(config.id, name);
    configs.push(config);
  }
  configs.forEach((config, i) => {
    config.fields.forEach((f, j) => {
      if (f.lookup && !seen.has(f.lookup.config))
        throw new ConfigError(basename(files[i] ?? config.id), `fields[${j}].lookup.config`, "refers to a config that is not loaded");
    });
  });
  return configs;
}

/** Loads and compiles, keyed by config id (in file order). */
export function loadCompiledConfigs(dir?: string): Map<string, CompiledConfig> {
  return new Map(loadConfigs(dir).map((c) => [c.id, compileConfig(c)]));
}
