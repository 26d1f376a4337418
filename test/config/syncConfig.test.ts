import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultConfigDir, loadConfigs, parseConfig } from "../../shared/config/syncConfig.js";
import { compileConfig } from "../../shared/core/compile.js";
import type { SyncConfig } from "../../shared/core/configTypes.js";
import { ConfigError } from "../../shared/errors.js";

type Json = Record<string, unknown> & { fields: Record<string, unknown>[] };
const raw = (id: string): Json => JSON.parse(readFileSync(join(defaultConfigDir(), `${id}.json`), "utf8"));

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

/** Sets the value at a path of keys in a parsed config (the edit a test makes). */
function set(config: Json, path: readonly (string | number)[], value: unknown): void {
  let at: Record<string | number, unknown> = config;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
}

/** [what, base config, where to edit, new value, expected path in the error, a value that must not appear in the message] */
const invalid: [string, string, (string | number)[], unknown, string, string][] = [
  ["an unknown transform", "likepersons", ["fields", 0, "transform"], "titlecaseZq", "fields[0].transform", "titlecaseZq"],
  ["an unknown transform in a list", "likepersons", ["fields", 2, "transform"], ["trim", "rot13Zq"], "fields[2].transform", "rot13Zq"],
  [
    "a value map that is not one-to-one on a field that flows back",
    "likepersons",
    ["fields", 8],
    { meander: "status", portal: "hlf_likepersonstatus", direction: "both", valueMap: { active: 100000077, paused: 100000077, retired: 100000002 } },
    "fields[8].valueMap",
    "100000077",
  ],
  ["a duplicate portal target", "likepersons", ["fields", 1, "portal"], "firstname", "fields[1].portal", "firstname"],
  ["a duplicate Meander path", "likepersons", ["fields", 1, "meander"], "firstName", "fields[1].meander", "firstName"],
  ["an overlapping Meander path", "likepersons", ["fields", 4, "meander"], "contact", "fields[4].meander", "contact."],
  ["a match key whose Meander field is not mapped", "likepersons", ["matchKeys", 0, "meander"], "nickNameZq", "matchKeys[0].meander", "nickNameZq"],
  ["a match key whose portal column is not mapped", "likepersons", ["matchKeys", 1, "portal"], "emailaddress9", "matchKeys[1].portal", "emailaddress9"],
  [
    "a lookup on a field that flows to Meander",
    "likepersons",
    ["fields", 10],
    { meander: "mentorId", portal: "hlf_mentorid", lookup: { config: "likepersons", entitySet: "contacts" } },
    "fields[10].lookup",
    "mentorId",
  ],
  ["a field direction wider than the config's", "activities", ["fields", 3, "direction"], "both", "fields[3].direction", "hlf_hours"],
  ["a field going against a one-way config", "activities", ["fields", 3, "direction"], "toMeander", "fields[3].direction", "hlf_hours"],
  ["an unknown top-level key", "likepersons", ["colourZq"], "red", "colourZq", "red"],
  ["an unknown key in a field", "likepersons", ["fields", 2, "ownr"], "portal", "fields[2].ownr", '"portal"'],
  ["a bad id", "likepersons", ["id"], "Like Persons Zq", "id", "Like Persons Zq"],
  ["an unknown scope operator", "likepersons", ["portal", "scope", 0, "op"], "greaterZq", "portal.scope[0].op", "greaterZq"],
  ["an unknown owner", "likepersons", ["fields", 3, "owner"], "coinflipZq", "fields[3].owner", "coinflipZq"],
  ["a default the value map does not know", "likepersons", ["fields", 8, "default"], "dormantZq", "fields[8].default", "dormantZq"],
  [
    "a delete policy towards a side the config never writes",
    "activities",
    ["deletePolicy", "portalDeleted"],
    "delete",
    "deletePolicy.portalDeleted",
    "activities",
  ],
  ["a lookup with a value map", "activities", ["fields", 0, "valueMap"], { a: "bZq" }, "fields[0].lookup", "bZq"],
  ["a portal column with a dot", "likepersons", ["fields", 5, "portal"], "address1.cityZq", "fields[5].portal", "address1.cityZq"],
  ["a prototype path", "likepersons", ["fields", 5, "meander"], "address.__proto__", "fields[5].meander", "__proto__"],
  ["no fields", "likepersons", ["fields"], [], "fields", "likepersons"],
  // The member register: no hard delete unless the config says so; retire and scope-exit values name mapped fields.
  ["a portal delete without portal.allowDelete", "likepersons", ["deletePolicy", "meanderDeleted"], "delete", "deletePolicy.meanderDeleted", "contacts"],
  ["an activity delete without portal.allowDelete", "activities", ["deletePolicy", "meanderDeleted"], "delete", "deletePolicy.meanderDeleted", "hlf_"],
  ["retire without values", "likepersons", ["deletePolicy", "retire"], { portal: {} }, "deletePolicy.retire.portal", "100000002"],
  ["deactivate for a Meander record", "likepersons", ["deletePolicy", "portalDeleted"], "deactivate", "deletePolicy.portalDeleted", "likepersons"],
  [
    "a retire value on an unmapped column",
    "likepersons",
    ["deletePolicy", "retire", "portal"],
    { hlf_gonezq: 1 },
    "deletePolicy.retire.portal.hlf_gonezq",
    "1",
  ],
  ["a scopeExit naming an unknown field", "likepersons", ["scopeExit", "meander"], { statusZq: "retiredZq" }, "scopeExit.meander.statusZq", "retiredZq"],
  ["a scopeExit towards a side the config never writes", "activities", ["scopeExit"], { meander: { hours: 0 } }, "scopeExit.meander", "hours: 0"],
  [
    "an autoCouple key that is not mapped",
    "likepersons",
    ["matchKeys", 0],
    { meander: "nationalIdZq", portal: "hlf_nationalid", normalize: "none", autoCouple: true },
    "matchKeys[0].meander",
    "nationalIdZq",
  ],
  ["a review field that is not mapped", "likepersons", ["reviewFields", 0], "birthDateZq", "reviewFields[0]", "birthDateZq"],
];

describe("sync config validation", () => {
  it.each(invalid)("rejects %s, naming file and field path but not the value", (_, base, where, value, path, secret) => {
    const config = raw(base);
    set(config, where, value);
    const error = configError(() => parseConfig(config, `${base}.json`));
    expect(error.file).toBe(`${base}.json`);
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${base}.json: ${path}: `)).toBe(true);
    expect(error.message.slice(`${base}.json: ${path}: `.length)).not.toContain(secret);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.kind).toBe("fatal");
  });

  it("accepts a value map that is not one-to-one on a one-way field to the portal", () => {
    const config = raw("activities");
    config.fields[2]!.valueMap = { conversation: 100000000, chat: 100000000, group: 100000001, phone: 100000002, event: 100000003 };
    expect(() => parseConfig(config, "activities.json")).not.toThrow();
  });

  it("fills defaults for optional parts", () => {
    const config = parseConfig(
      {
        id: "tiny",
        direction: "toPortal",
        meander: { entity: "things" },
        portal: { entity: "things", idField: "thingid" },
        fields: [{ meander: "a", portal: "b" }],
      },
      "tiny.json",
    );
    expect(config).toMatchObject({
      enabled: true,
      conflictPolicy: "manual",
      matchKeys: [],
      deletePolicy: { meanderDeleted: "unlink", portalDeleted: "unlink" },
    });
    expect(config.massDeleteGuard).toEqual({ maxDeletes: 50, maxPercent: 5 });
  });
});

describe("the default configs", () => {
  it("load (sorted by file name) and compile", () => {
    const configs = loadConfigs();
    expect(configs.map((c) => c.id)).toEqual(["activities", "likepersons"]);
    for (const config of configs) expect(() => compileConfig(config)).not.toThrow();
  });

  it("likepersons: the portal is master of member data, Meander of likeperson data, chapter for a person", () => {
    const config = loadConfigs().find((c) => c.id === "likepersons") as SyncConfig;
    const compiled = compileConfig(config);
    const field = (key: string) => compiled.fieldByKey.get(key)!;
    expect(config.direction).toBe("both");
    expect(config.matchKeys.map((k) => [k.normalize, k.autoCouple])).toEqual([
      ["memberNumber", true],
      ["email", false],
    ]);
    expect(config.deletePolicy).toEqual({ meanderDeleted: "retire", portalDeleted: "unlink", retire: { portal: { hlf_likepersonstatus: 100000002 } } });
    expect(config.portal.allowDelete).toBe(false);
    expect(compiled.createUnmatched).toBe(false);
    expect(config.scopeExit).toEqual({ meander: { status: "retired" } });
    expect(config.portal.scope).toContainEqual({ field: "statecode", op: "eq", value: 0 });
    expect(config.portal.matchScope).toEqual([
      { field: "statecode", op: "eq", value: 0 },
      { field: "hlf_likepersonstatus", op: "notIn", values: [100000002] },
    ]);
    expect(config.massDeleteGuard).toEqual({ maxDeletes: 50, maxPercent: 5 });
    const member = ["firstName", "lastName", "contact.email", "contact.mobile", "address.postalCode", "address.city", "memberNumber"];
    for (const key of member) expect([key, field(key).direction, field(key).toPortal]).toEqual([key, "toMeander", undefined]);
    for (const key of ["status", "trainingCompletedOn"]) expect([key, field(key).direction, field(key).toMeander]).toEqual([key, "toPortal", undefined]);
    expect(field("chapter")).toMatchObject({ direction: "both", owner: "manual" });
    // A likeperson created in Meander from a portal contact still gets the contact's status (the value map inverted for the seed).
    expect(field("status").seedToMeander?.valueMap).toEqual({ "100000000": "active", "100000001": "paused", "100000002": "retired" });
    expect(compiled.portalColumns).toEqual(expect.arrayContaining(["contactid", "hlf_meanderid", "hlf_likepersonstatus", "hlf_membernumber", "statecode"]));
  });

  it("activities: a Meander deletion deactivates the activity row, never deletes it", () => {
    const config = loadConfigs().find((c) => c.id === "activities") as SyncConfig;
    expect(config.deletePolicy.meanderDeleted).toBe("deactivate");
    expect(compileConfig(config).createUnmatched).toBe(true);
  });

  it("activities: toPortal only, with a lookup to contacts through likepersons", () => {
    const compiled = compileConfig(loadConfigs().find((c) => c.id === "activities")!);
    expect(compiled.toMeander).toEqual([]);
    expect(compiled.fieldByKey.get("likepersonId")?.toPortal?.target).toBe("hlf_ContactId@odata.bind");
    expect(compiled.fieldByKey.get("likepersonId")?.lookup).toEqual({ config: "likepersons", entitySet: "contacts", navigationProperty: "hlf_ContactId" });
    expect(compiled.config.portal).toMatchObject({ idField: "hlf_likepersonactivityid", linkField: "hlf_meanderid", alternateKey: "hlf_meanderid" });
    expect(compiled.portalColumns).toContain("_hlf_contactid_value");
  });
});

describe("loadConfigs", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const folder = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), "configs-"));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const text = (c: unknown) => JSON.stringify(c);

  it("rejects a duplicate id, naming the second file", () => {
    const error = configError(() => loadConfigs(folder({ "a.json": text(raw("likepersons")), "b.json": text(raw("likepersons")), "notes.txt": "x" })));
    expect(error.file).toBe("b.json");
    expect(error.path).toBe("id");
  });

  it("rejects text that is not JSON without quoting it", () => {
    const error = configError(() => loadConfigs(folder({ "bad.json": '{"id": "x", "secret": Kari Nordmann}' })));
    expect(error.message).toBe("bad.json: (root): not valid JSON");
  });

  it("rejects a lookup to a config that is not loaded", () => {
    const error = configError(() => loadConfigs(folder({ "activities.json": text(raw("activities")) })));
    expect(error.file).toBe("activities.json");
    expect(error.path).toBe("fields[0].lookup.config");
  });

  it("reads only *.json, in name order", () => {
    const b = raw("likepersons");
    const a = { ...raw("likepersons"), id: "alpha" };
    expect(loadConfigs(folder({ "b.json": text(b), "a.json": text(a), "readme.md": "# x" })).map((c) => c.id)).toEqual(["alpha", "likepersons"]);
  });
});
