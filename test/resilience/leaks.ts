/**
 * The leak scan: everything a person or a log reader could see, and the values that must
 * never be in it (canary people's personal data, secrets, tokens).
 */
import { authenticate } from "../../shared/adapters/auth/index.js";
import { LOCAL_CLIENT } from "../../sim/stack.js";
import { IDENTITY, L, type World } from "./world.js";

/** Every text a person or log reader could see: log lines, run records, ledger, conflicts, plus what a case adds. */
export async function exposedText(w: World, configId = L): Promise<string> {
  const { state, runs } = w.service.deps;
  const parts = [
    ...w.logs,
    ...w.exposed,
    JSON.stringify(await runs.listRuns(configId, 200)),
    JSON.stringify(await state.listLedger(configId)),
    JSON.stringify(await state.listConflicts(configId)),
  ];
  return parts.join("\n");
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
