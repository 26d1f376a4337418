import type { SyncResult } from "../api.js";
import { formatDuration, formatNumber, formatTime, written } from "../format.js";

const W = 720;
const H = 220;
const PAD = { left: 56, right: 56, top: 16, bottom: 36 };

/**
 * Duration (solid line, circles, left axis) and records written (dashed line, squares,
 * right axis) per run, oldest left. Line style and marker shape tell the series apart
 * without colour; the table below holds the same figures for screen readers.
 */
export function RunChart({ runs }: { runs: readonly SyncResult[] }) {
  const points = [...runs].reverse();
  if (points.length < 2) return null;
  const maxDuration = Math.max(1, ...points.map((r) => r.durationMs ?? 0));
  const maxWritten = Math.max(1, ...points.map(written));
  const x = (i: number) => PAD.left + (i * (W - PAD.left - PAD.right)) / (points.length - 1);
  const y = (value: number, max: number) => H - PAD.bottom - (value / max) * (H - PAD.top - PAD.bottom);
  const durationPath = points.map((r, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(r.durationMs ?? 0, maxDuration).toFixed(1)}`).join(" ");
  const writtenPath = points.map((r, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(written(r), maxWritten).toFixed(1)}`).join(" ");
  const summary = `Varighet fra ${formatDuration(Math.min(...points.map((r) => r.durationMs ?? 0)))} til ${formatDuration(maxDuration)}; skrevne poster fra ${formatNumber(Math.min(...points.map(written)))} til ${formatNumber(maxWritten)}, over ${points.length} kjøringer fra ${formatTime(points[0]!.startedAt)} til ${formatTime(points.at(-1)!.startedAt)}.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc" class="chart-svg">
        <title id="chart-title">Varighet og skrevne poster per kjøring</title>
        <desc id="chart-desc">{summary}</desc>
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} class="axis" />
        <line x1={W - PAD.right} y1={PAD.top} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
        <text x={PAD.left - 6} y={PAD.top + 4} class="tick" text-anchor="end">
          {formatDuration(maxDuration)}
        </text>
        <text x={PAD.left - 6} y={H - PAD.bottom} class="tick" text-anchor="end">
          0
        </text>
        <text x={W - PAD.right + 6} y={PAD.top + 4} class="tick">
          {formatNumber(maxWritten)}
        </text>
        <text x={W - PAD.right + 6} y={H - PAD.bottom} class="tick">
          0
        </text>
        <text x={PAD.left} y={H - 10} class="tick">
          {formatTime(points[0]!.startedAt)}
        </text>
        <text x={W - PAD.right} y={H - 10} class="tick" text-anchor="end">
          {formatTime(points.at(-1)!.startedAt)}
        </text>
        <path d={durationPath} class="series-duration" />
        <path d={writtenPath} class="series-written" />
        {points.map((r, i) => (
          <circle key={`d${r.runId}`} cx={x(i)} cy={y(r.durationMs ?? 0, maxDuration)} r={4} class="marker-duration" />
        ))}
        {points.map((r, i) => (
          <rect key={`w${r.runId}`} x={x(i) - 4} y={y(written(r), maxWritten) - 4} width={8} height={8} class="marker-written" />
        ))}
      </svg>
      <figcaption>
        <span class="legend-duration">● heltrukken linje: varighet (venstre akse)</span>{" "}
        <span class="legend-written">■ stiplet linje: skrevne poster (høyre akse)</span>
      </figcaption>
    </figure>
  );
}
