/**
 * The embedded stand-ins for the two systems: the Dataverse simulator (with its token
 * endpoint and Key Vault) and the Meander simulator, seeded with generated HLF data.
 * Used by the tests, the local stack (`npm start`, `npm run sync`) and the benchmark.
 * Returns the app settings that point the service at them.
 */
import { join } from "node:path";
import { appRoot } from "../shared/config/settings.js";
import { type GenerateOptions, generateDataset } from "./data/generator.js";
import { type DataverseSim, type DataverseSimOptions, startDataverseSim } from "./dataverse/index.js";
import { type MeanderSim, type MeanderSimOptions, startMeanderSim } from "./meander/index.js";
import { ensureLocalCertificate } from "./tls.js";

export const LOCAL_CLIENT = {
  clientId: "11111111-2222-3333-4444-555555555555",
  clientSecret: "local-only-client-secret",
};
export const LOCAL_SECRET_NAME = "dataverse-client-secret";
/** The baseline fingerprints' key (shared/core/fingerprint.ts), in the simulator's Key Vault and in the settings. */
export const LOCAL_BASELINE_KEY = { name: "sync-baseline-key", value: "local-only-baseline-key-not-for-azure-0001" };
export const MEANDER_SCOPE = "api://meander-sync/.default";
const PORTAL_SEEDED_AT = "2026-01-01T00:00:00.000Z";

export interface StandInOptions {
  /** Generated data to seed both systems with; omit for empty systems. */
  readonly dataset?: GenerateOptions;
  readonly dataverse?: Partial<Omit<DataverseSimOptions, "tls">>;
  readonly meander?: Partial<MeanderSimOptions>;
  /** Where the local certificate lives (default `<repo>/.local/tls`). */
  readonly tlsDir?: string;
}

export interface StandIns {
  readonly dataverse: DataverseSim;
  readonly meander: MeanderSim;
  readonly dataset?: ReturnType<typeof generateDataset>;
  /** App settings pointing at the stand-ins (no storage setting: the caller adds it). */
  readonly settings: Record<string, string>;
  /** PEM file the process must trust (NODE_EXTRA_CA_CERTS). */
  readonly certPath: string;
  close(): Promise<void>;
}

export async function startStandIns(options: StandInOptions = {}): Promise<StandIns> {
  const tls = ensureLocalCertificate(options.tlsDir ?? join(appRoot(), ".local", "tls"));
  const dataverse = await startDataverseSim({
    tls: { key: tls.key, cert: tls.cert },
    clients: [LOCAL_CLIENT],
    secrets: { [LOCAL_SECRET_NAME]: LOCAL_CLIENT.clientSecret, [LOCAL_BASELINE_KEY.name]: LOCAL_BASELINE_KEY.value },
    ...options.dataverse,
  });
  const meander = await startMeanderSim({ limits: false, ...options.meander });
  const dataset = options.dataset ? generateDataset(options.dataset) : undefined;
  if (dataset) {
    // The portal's rows were last changed before Meander's (seeded now): "newest" decides the same way every time.
    dataverse.store.seed(
      "contacts",
      dataset.portal.contacts.map((c) => ({ modifiedon: PORTAL_SEEDED_AT, ...c })),
    );
    meander.store.seed("likepersons", dataset.meander.likepersons);
    meander.store.seed("activities", dataset.meander.activities);
  }
  return {
    dataverse,
    meander,
    ...(dataset ? { dataset } : {}),
    certPath: tls.certPath,
    settings: {
      DATAVERSE_URL: dataverse.url,
      DATAVERSE_TENANT_ID: dataverse.tenantId,
      DATAVERSE_CLIENT_ID: LOCAL_CLIENT.clientId,
      DATAVERSE_CLIENT_SECRET: LOCAL_CLIENT.clientSecret,
      DATAVERSE_CLIENT_SECRET_NAME: LOCAL_SECRET_NAME,
      SYNC_BASELINE_KEY_NAME: LOCAL_BASELINE_KEY.name,
      SYNC_BASELINE_KEY: LOCAL_BASELINE_KEY.value,
      DATAVERSE_AUTHORITY_HOST: dataverse.authorityHost,
      MEANDER_API_URL: meander.url,
      MEANDER_API_SCOPE: MEANDER_SCOPE,
    },
    async close() {
      await Promise.all([dataverse.close(), meander.close()]);
    },
  };
}
