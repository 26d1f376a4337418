/**
 * The record-at-a-time baseline, run for real: what a simple script or a Power Automate
 * flow does for each changed record — look the partner up, then write it — one request
 * after the other, against the same simulators with the same costs. It runs on a sample;
 * the suite extrapolates per changed record (bench/figures.ts says how).
 */
import { DynamicsWebApi } from "dynamics-web-api";
import { createAzureCredential } from "../shared/adapters/identity.js";
import { generateDataset } from "../sim/data/generator.js";
import { LOCAL_CLIENT, MEANDER_SCOPE, startStandIns } from "../sim/stack.js";
import { type Costs, dataset } from "./params.js";

export interface BaselineSide {
  /** Changed records written one at a time. */
  readonly records: number;
  readonly wallMs: number;
  /** Requests to the system per record (token requests excluded: one per run). */
  readonly requestsPerRecord: number;
  readonly msPerRecord: number;
}

export interface BaselineMeasurement {
  readonly portal: BaselineSide;
  readonly meander: BaselineSide;
}

export async function measureBaseline(sample: number, costs: Costs): Promise<BaselineMeasurement> {
  const data = generateDataset(dataset(Math.max(4 * sample, 100), 7));
  const standIns = await startStandIns({
    dataverse: { latencyMs: costs.dataverseLatencyMs, perRecordMs: costs.dataversePerRecordMs, limits: costs.dataverseLimits },
    meander: { latencyMs: costs.meanderLatencyMs, limits: false },
  });
  try {
    standIns.dataverse.store.seed("contacts", data.portal.contacts);
    standIns.meander.store.seed("likepersons", data.meander.likepersons);
    // Keys as each system stores them, so that every lookup finds its record (the baseline's best case).
    const portalNumbers = data.portal.contacts.flatMap((c) => (c.hlf_membernumber ? [c.hlf_membernumber] : []));
    const meanderNumbers = data.meander.likepersons.map((r) => r.memberNumber);
    const { settings } = standIns;
    const credential = createAzureCredential({
      tenantId: settings.DATAVERSE_TENANT_ID,
      clientId: LOCAL_CLIENT.clientId,
      clientSecret: LOCAL_CLIENT.clientSecret,
      authorityHost: settings.DATAVERSE_AUTHORITY_HOST,
    });
    const portalToken = (await credential.getToken(`${settings.DATAVERSE_URL}/.default`))!.token;
    const meanderToken = (await credential.getToken(MEANDER_SCOPE))!.token;

    // Meander changed → portal: find the contact by member number, then update it.
    const api = new DynamicsWebApi({ serverUrl: `${settings.DATAVERSE_URL}/`, dataApi: { version: "9.2" }, onTokenRefresh: async () => portalToken });
    const before = standIns.dataverse.counters().requests;
    const portal = await timed(portalNumbers.slice(0, sample), async (memberNumber, i) => {
      const found = await api.retrieveMultiple<{ contactid: string }>({
        collection: "contacts",
        select: ["contactid"],
        filter: `hlf_membernumber eq '${memberNumber}'`,
      });
      const id = found.value?.[0]?.contactid;
      if (!id) throw new Error("baseline: a portal lookup found nothing");
      await api.update({ collection: "contacts", key: id, data: { mobilephone: `+47 98${String(i).padStart(6, "0")}` } });
    });
    const portalRequests = standIns.dataverse.counters().requests - before;

    // Portal changed → Meander: look the likeperson up, then a batch of one.
    const url = settings.MEANDER_API_URL;
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${url}/sync/v1/likepersons/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${meanderToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`baseline: Meander ${path} answered ${response.status}`);
      return (await response.json()) as { items?: { id: string }[] };
    };
    const meanderBefore = standIns.meander.counters().requests;
    const meander = await timed(meanderNumbers.slice(0, sample), async (memberNumber, i) => {
      const found = await post("lookup", { field: "memberNumber", values: [memberNumber] });
      const id = found.items?.[0]?.id;
      if (!id) throw new Error("baseline: a Meander lookup found nothing");
      await post("batch", { operations: [{ ref: "1", op: "upsert", id, data: { contact: { mobile: `+47 97${String(i).padStart(6, "0")}` } } }] });
    });
    const meanderRequests = standIns.meander.counters().requests - meanderBefore;
    return { portal: side(portal, portalRequests), meander: side(meander, meanderRequests) };
  } finally {
    await standIns.close();
  }
}

async function timed<T>(items: readonly T[], each: (item: T, index: number) => Promise<void>): Promise<{ records: number; wallMs: number }> {
  const started = performance.now();
  for (const [i, item] of items.entries()) await each(item, i);
  return { records: items.length, wallMs: performance.now() - started };
}

const side = (run: { records: number; wallMs: number }, requests: number): BaselineSide => ({
  records: run.records,
  wallMs: run.wallMs,
  requestsPerRecord: requests / Math.max(run.records, 1),
  msPerRecord: run.wallMs / Math.max(run.records, 1),
});
