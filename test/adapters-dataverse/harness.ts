/**
 * The Dataverse side wired as in production, against the simulator: Key Vault
 * through @azure/keyvault-secrets and an Azure credential, tokens through
 * msal-node, the Web API through dynamics-web-api.
 */
import { join } from "node:path";
import { createPortalTokenProvider, type PortalTokenProvider } from "../../shared/adapters/auth/index.js";
import { DataverseSide, type DataverseSideOptions } from "../../shared/adapters/dataverse/index.js";
import { createAzureCredential } from "../../shared/adapters/identity.js";
import { KeyVaultSecretSource } from "../../shared/adapters/keyvault/index.js";
import type { SecretSource } from "../../shared/ports.js";
import { type DataverseCounters, type DataverseSim, type DataverseSimOptions, startDataverseSim } from "../../sim/dataverse/index.js";
import { ensureLocalCertificate } from "../../sim/tls.js";

export const SECRET_NAME = "dataverse-client-secret";

let clients = 0;

/** Each sim gets its own client id, so MSAL's per-process app cache never carries a token across tests. */
export function newClient(): { clientId: string; clientSecret: string } {
  clients += 1;
  const n = (process.pid * 1000 + clients).toString(16).padStart(12, "0").slice(-12);
  return { clientId: `aaaaaaaa-0000-4000-8000-${n}`, clientSecret: `secret-${n}-~.valid` };
}

export interface Harness {
  readonly sim: DataverseSim;
  readonly client: { clientId: string; clientSecret: string };
  readonly vaultReader: { clientId: string; clientSecret: string };
  readonly secrets: SecretSource;
  readonly tokens: PortalTokenProvider;
  side(options?: Partial<DataverseSideOptions>): DataverseSide;
}

export async function startHarness(options: Partial<DataverseSimOptions> = {}): Promise<Harness> {
  const { key, cert } = ensureLocalCertificate(join(process.cwd(), ".local/tls"));
  const client = newClient();
  // The vault is read with another identity (the managed identity in Azure), so
  // rotating the Dataverse app's secret never locks us out of the vault.
  const vaultReader = newClient();
  const sim = await startDataverseSim({ tls: { key, cert }, clients: [client, vaultReader], secrets: { [SECRET_NAME]: client.clientSecret }, ...options });
  const credential = createAzureCredential({ tenantId: sim.tenantId, ...vaultReader, authorityHost: sim.authorityHost });
  const secrets = new KeyVaultSecretSource(sim.keyVaultUrl, credential);
  const tokens = createPortalTokenProvider({
    tenantId: sim.tenantId,
    clientId: client.clientId,
    dataverseUrl: sim.url,
    authorityHost: sim.authorityHost,
    secretName: SECRET_NAME,
    secrets,
  });
  return {
    sim,
    client,
    vaultReader,
    secrets,
    tokens,
    side: (overrides = {}) =>
      new DataverseSide({
        url: sim.url,
        tokenProvider: tokens,
        entities: {
          contacts: {
            idField: "contactid",
            alternateKey: "hlf_meanderid",
            select: ["firstname", "lastname", "emailaddress1", "hlf_meanderid", "hlf_membernumber"],
          },
          hlf_likepersonactivities: { idField: "hlf_likepersonactivityid", alternateKey: "hlf_meanderid" },
        },
        // Tests use short waits; production keeps the defaults.
        resilience: { baseDelayMs: 10, maxDelayMs: 200, halfOpenAfterMs: 500 },
        // Long enough for a 250-record batch on a loaded CI machine: an attempt cut
        // short while the server still works on it would be sent twice.
        timeoutMs: 20_000,
        ...overrides,
      }),
  };
}

/** HTTP requests to the Web API only (not the token endpoint, its metadata or Key Vault). */
export const webApiRequests = (c: DataverseCounters): number => c.requests - c.byKind.token - c.byKind.metadata - c.byKind.keyvault;

/** A GUID made from a number, so tests can name rows. */
export const guid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
