/**
 * The leak scan: everything a person or a log reader could see, and the values that must
 * never be in it (canary people's personal data, secrets, tokens).
 */
import { TableClient } from "@azure/data-tables";
import { authenticate } from "../../shared/adapters/auth/index.js";
import { LOCAL_CLIENT } from "../../sim/stack.js";
import { IDENTITY, L, type World } from "./world.js";

/** Every text a person or log reader could see: log lines, run records, ledger, conflicts, every table raw, plus what a case adds. */
export async function exposedText(w: World, configId = L): Promise<string> {
  const { state, runs } = w.service.deps;
  const parts = [
    ...w.logs,
    ...w.exposed,
    JSON.stringify(await runs.listRuns(configId, 200)),
    JSON.stringify(await state.listLedger(configId)),
    JSON.stringify((await state.listConflicts(configId)).filter((c) => c.status !== "open")),
    ...(await rawTables(w)),
  ];
  return parts.join("\n");
}

/**
 * Every entity of every table the service writes, as Azurite holds it (not through the
 * adapter, which could hide a column). Open review items are left out: they hold the values
 * a person needs to decide, until they are resolved.
 */
export async function rawTables(w: World): Promise<string[]> {
  const connectionString = w.env.AzureWebJobsStorage ?? "";
  const out: string[] = [];
  for (const [kind, name] of Object.entries(w.service.tables.tableNames)) {
    const client = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
    for await (const entity of client.listEntities<Record<string, unknown>>()) {
      if (kind === "conflicts" && entity.status === "open") continue;
      out.push(JSON.stringify(entity));
    }
  }
  return out;
}

/** Canary names, e-mails and phones (in the written forms the data uses), the client secrets and tokens. */
export async function secretsOf(w: World, extraSecrets: readonly string[] = []): Promise<string[]> {
  const canaries = w.dataset!.canaries;
  const phones = canaries.phones.flatMap((p) => [p, `+47${p}`, `+47 ${p}`]);
  let portalToken: string[] = [];
  try {
    const token = await authenticate({
      tenantId: w.dataverse.tenantId,
      clientId: LOCAL_CLIENT.clientId,
      clientSecret: LOCAL_CLIENT.clientSecret,
      dataverseUrl: w.dataverse.url,
      authorityHost: w.dataverse.authorityHost,
    });
    portalToken = [token.accessToken];
  } catch {
    // The secret was rotated in this world: the rotated one is among extraSecrets.
  }
  return [
    ...canaries.names,
    ...canaries.emails,
    ...phones,
    LOCAL_CLIENT.clientSecret,
    IDENTITY.clientSecret,
    ...extraSecrets,
    ...portalToken,
    ...w.meanderTokens,
  ];
}

/** How many of `secrets` occur in `text` (case-insensitive), with the first few for the failure message. */
export function leaks(text: string, secrets: readonly string[]): { count: number; found: string[] } {
  const lower = text.toLowerCase();
  const found = secrets.filter((s) => s.length >= 4 && lower.includes(s.toLowerCase()));
  return { count: found.length, found: found.slice(0, 3).map((s) => `${s.slice(0, 3)}…(${s.length})`) };
}
