/** What the admin API accepts (api/admin.openapi.yaml mirrors these). */
import { z } from "zod";

/** Config ids are file names and Table Storage partition keys: no `/ \ # ?`, quotes or spaces. */
export const CONFIG_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const configId = z.string().regex(CONFIG_ID, "must be 1-64 letters, digits, '-' or '_'");
const id = (what: string) => z.string().regex(ID, `must be a ${what} id (1-128 letters, digits, '-', '_', '.', ':')`);

export const configParams = z.object({ configId });
export const runParams = z.object({ configId, runId: id("run") });
export const conflictParams = z.object({ configId, conflictId: id("conflict") });

export const historyQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "must be a whole number from 1 to 100")
    .transform(Number)
    .pipe(z.number().min(1, "must be a whole number from 1 to 100").max(100, "must be a whole number from 1 to 100"))
    .default(20),
});

export const conflictsQuery = z.object({
  status: z.enum(["open", "resolved"], "must be open or resolved").default("open"),
});

/** POST .../runs: the body is optional; `{}` and no body both mean a real run. */
export const runBody = z.strictObject({ dryRun: z.boolean("must be true or false").optional() }).optional();

const scalar = z.union([z.string().max(4000), z.number(), z.boolean(), z.null()], "must be a string, number, boolean or null");

export const resolutionBody = z
  .strictObject({
    choice: z.enum(["meander", "portal", "value"], "must be meander, portal or value"),
    values: z.record(z.string().regex(/^[A-Za-z0-9_.]{1,128}$/, "must be a field name"), scalar).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.choice === "value" && (!body.values || Object.keys(body.values).length === 0)) {
      ctx.addIssue({ code: "custom", path: ["values"], message: 'is required with choice "value"' });
    }
    if (body.choice !== "value" && body.values !== undefined) {
      ctx.addIssue({ code: "custom", path: ["values"], message: 'is only allowed with choice "value"' });
    }
  });

/** A console asset: one file name as Vite writes them (no folders). */
export const consoleAssetParams = z.object({ file: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/, "must be a file name") });
