/**
 * A whole service on real parts for run tests: both simulators seeded with generated
 * data, the real adapters, and Table Storage on the test run's Azurite (own table prefix).
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type ComposedService, createService, type ServiceOverrides } from "../../shared/composition.js";
import { loadSettings } from "../../shared/config/settings.js";
import { canonicalFromMeander, canonicalFromPortal } from "../../shared/core/canonical.js";
import { createJsonLogger } from "../../shared/logging.js";
import type { Clock } from "../../shared/ports.js";
import { type StandInOptions, type StandIns, startStandIns } from "../../sim/stack.js";

export interface Harness extends StandIns {
  readonly service: ComposedService;
  readonly logs: string[];
  readonly env: Record<string, string>;
  /** A second service on the same state (another Functions instance). */
  another(overrides?: ServiceOverrides): Promise<ComposedService>;
}

/** A clock tests can move forward (lease expiry) while time otherwise passes normally. */
export function shiftableClock(): Clock & { shift(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    shift: (ms) => {
      offset += ms;
    },
  };
}

/**
 * The engine's own tests run the generic two-way likeperson mapping (test/configs/two-way:
 * every member field both ways, deletes and creates allowed), so that they exercise every path
 * of a run. HLF's configs (configs/) are tested with `hlf: true` (test/sync/memberRegister.test.ts).
 */
export const TWO_WAY_CONFIG_DIR = fileURLToPath(new URL("../configs/two-way", import.meta.url));

export async function startHarness(
  options: StandInOptions & { settings?: Record<string, string>; overrides?: ServiceOverrides; hlf?: boolean } = {},
): Promise<Harness> {
  const standIns = await startStandIns(options);
  const logs: string[] = [];
  const env = {
    ...standIns.settings,
    AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING ?? "",
    SYNC_TABLE_PREFIX: `t${randomBytes(5).toString("hex")}`,
    ...(options.hlf ? {} : { SYNC_CONFIG_DIR: TWO_WAY_CONFIG_DIR }),
    ...options.settings,
  };
  const make = (overrides: ServiceOverrides = {}) =>
    createService(loadSettings(env), {
      logger: createJsonLogger((_level, line) => logs.push(line)),
      ...options.overrides,
      ...overrides,
    });
  const service = await make();
  return { ...standIns, service, logs, env, another: make };
}

/** Mapped values of every linked pair, both sides, for "equal after mapping" checks. */
export async function linkedPairs(h: Harness, configId = "likepersons") {
  const compiled = h.service.deps.configs.get(configId)!;
  const pairs = [];
  for await (const link of h.service.deps.state.listLinks(configId)) {
    const m = h.meander.store.get("likepersons", link.meanderId);
    const p = h.dataverse.store.get("contacts", link.portalId);
    pairs.push({
      link,
      meanderData: m?.data,
      meander: m && canonicalFromMeander(compiled, m.data as Record<string, unknown>),
      portal: p && canonicalFromPortal(compiled, p),
    });
  }
  return pairs;
}
