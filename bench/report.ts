/** The benchmark's printed table: one block per scenario, each figure beside its minimum and the baseline, then the targets. */

import type { BaselineMeasurement } from "./baseline.js";
import type { ScenarioFigures, SideFigures, Target } from "./figures.js";
import type { PrivacyFigures } from "./privacy.js";

const n = (value: number) => Math.round(value).toLocaleString("en-US");
const s = (seconds: number) => (seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`);
const kinds = (byKind: Readonly<Record<string, number>>) =>
  Object.entries(byKind)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(", ") || "none";

function rows(f: ScenarioFigures): string[][] {
  const side = (label: string, x: SideFigures) => [
    [
      `${label} requests`,
      n(x.requests),
      `${n(x.minimum.requests)} (${x.minimum.reads} read${x.minimum.byId ? ` + ${x.minimum.byId} by id` : ""} + ${x.minimum.writes} write); ${n(x.feedMinimum)} with echoes`,
      n(x.baselineRequests),
    ],
    [`  by kind`, kinds(x.byKind), "", ""],
    [`  records read (of which users' changes) / changed / written`, `${n(x.read)} (${n(x.sourceChanges)}) / ${n(x.changes)} / ${n(x.written)}`, "", ""],
  ];
  const both = (a: number, b: number) => `${n(a)} / ${n(b)}`;
  return [
    ["wall time", s(f.wallS), "", `${s(f.baseline.wallS)} (extrapolated)`],
    ["CPU time", s(f.cpuS), "", ""],
    [
      "  waiting on (busy time per port)",
      Object.entries(f.busyS)
        .filter(([, v]) => v >= 0.01)
        .map(([k, v]) => `${k} ${s(v)}`)
        .join(", ") || "none",
      "",
      "",
    ],
    ["peak RSS, service process", `${n(f.maxRssMB)} MB`, "", ""],
    ["simulators' process: peak RSS / CPU", `${n(f.standInsMaxRssMB)} MB / ${s(f.standInsCpuS)}`, "", ""],
    ...side("Dataverse", f.dataverse),
    ...side("Meander", f.meander),
    ["Entra ID: token / metadata", both(f.entraId.token, f.entraId.metadata), "", ""],
    ["Table Storage operations", n(f.tableOps.total), "", ""],
    [
      "  reads / writes / query pages / transactions",
      `${n(f.tableOps.reads)} / ${n(f.tableOps.writes)} / ${n(f.tableOps.queries)} / ${n(f.tableOps.transactions)} (${n(f.tableOps.entitiesInTransactions)} entities)`,
      "",
      "",
    ],
    ["  entities written / bytes", `${n(f.tableOps.entitiesWritten ?? 0)} / ${n(f.tableOps.bytesWritten ?? 0)}`, "", ""],
    ...(f.privacy
      ? [
          ["portal rows read / personal-data cells read", `${n(f.privacy.portalRowsRead)} / ${n(f.privacy.portalPersonalCellsRead)}`, "", ""],
          [
            "personal-data cells at rest (open review items apart)",
            `${n(f.privacy.personalCellsAtRest)} (${n(f.privacy.personalCellsInOpenReviews)})`,
            "0",
            "",
          ],
          ["link entities after the run", linkEntities(f.privacy), "", ""],
        ]
      : []),
    ["writes that changed nothing (DV / M)", both(f.dataverse.noopWrites, f.meander.noopWrites), "0", ""],
    ["throttled responses (DV / M)", both(f.dataverse.throttled, f.meander.throttled), "", ""],
    ["retry-after violations (DV / M)", both(f.dataverse.retryAfterViolations, f.meander.retryAfterViolations), "0", ""],
    ["conflicts found / auto-resolved / open", `${n(f.conflicts.found)} / ${n(f.conflicts.autoResolved)} / ${n(f.conflicts.open)}`, "", ""],
  ];
}

function grid(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

export function renderReport(scenarios: readonly ScenarioFigures[], targets: readonly Target[], baseline: BaselineMeasurement): string {
  const out: string[] = [];
  for (const f of scenarios) {
    const edits = f.edits
      ? `; edits: ${n(f.edits.meanderEdited)} Meander, ${n(f.edits.portalEdited)} portal, ${n(f.edits.bothEdited)} both, ${n(f.edits.meanderDeleted)} + ${n(f.edits.portalDeleted)} deleted`
      : "";
    const shape = f.hlf
      ? `${n(f.hlf.contacts)} portal contacts of which ${n(f.hlf.portalLikepersons)} likepersons, ${n(f.hlf.meanderLikepersons)} Meander likepersons (${n(f.hlf.overlapping)} overlapping), ${n(f.hlf.activities)} activity reports seeded${f.edits?.membersEdited ? `, ${n(f.edits.membersEdited)} ordinary members and ${n(f.edits.activitiesAdded ?? 0)} reports added` : ""}: `
      : "";
    out.push(
      `\n${f.name}: ${shape}${n(f.perSide)} people per side (seeded ${n(f.seeded.meander)} Meander, ${n(f.seeded.portal)} portal)${edits}; ${f.runs === 1 ? "one run" : `${f.runs} runs (time budget)`}, ${f.status}, ${f.errorCount} errors`,
    );
    out.push(grid([f.name, "measured", "minimum", "record-at-a-time"], rows(f)));
  }
  const b = baseline;
  out.push(
    `\nrecord-at-a-time baseline, run for real on a sample and extrapolated per changed record: portal ${b.portal.records} records in ${s(b.portal.wallMs / 1000)} ` +
      `(${b.portal.msPerRecord.toFixed(1)} ms, ${b.portal.requestsPerRecord.toFixed(1)} requests each), Meander ${b.meander.records} in ${s(b.meander.wallMs / 1000)} ` +
      `(${b.meander.msPerRecord.toFixed(1)} ms, ${b.meander.requestsPerRecord.toFixed(1)} requests each); page reads not timed (in its favour); ` +
      "never faster than Dataverse's 6,000 requests per 5 minutes allow.",
  );
  out.push(
    `\n${grid(
      ["scenario", "target", "measured", "met"],
      targets.map((t) => [t.scenario, t.goal, t.measured, t.notJudged ? "n/a" : t.ok ? "yes" : "NO"]),
    )}`,
  );
  return out.join("\n");
}

/** The links read raw after the run: all of them, or those of the partitions read (privacy.ts, SCAN_LINKS). */
function linkEntities(p: PrivacyFigures): string {
  const { read, of } = p.linkPartitionsRead ?? { read: 1, of: 1 };
  return read < of ? `${n(p.linkEntities)} in the ${read} of ${of} partitions read` : n(p.linkEntities);
}
