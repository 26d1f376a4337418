/** Norwegian (bokmål) wording and formats for what the API returns in English codes. */
import type { Scalar, Side, SyncResult } from "./api.js";

const dateTime = new Intl.DateTimeFormat("nb-NO", { dateStyle: "short", timeStyle: "medium" });
const number = new Intl.NumberFormat("nb-NO");

export const formatTime = (iso: string | undefined): string => (iso ? dateTime.format(new Date(iso)) : "–");
export const formatNumber = (n: number): string => number.format(n);

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "–";
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  return `${new Intl.NumberFormat("nb-NO", { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
}

export const SIDE_LABEL: Record<Side, string> = { meander: "Meander", portal: "Min Side (Dynamics)" };

/** Each status has its own word and symbol, so nothing depends on colour. */
export const STATUS_LABEL: Record<SyncResult["status"], { text: string; symbol: string }> = {
  running: { text: "Kjører", symbol: "⟳" },
  succeeded: { text: "Fullført", symbol: "✓" },
  partial: { text: "Delvis: noe ligger i feilkøen", symbol: "◐" },
  incomplete: { text: "Ufullstendig: fortsetter ved neste kjøring", symbol: "…" },
  failed: { text: "Feilet", symbol: "✕" },
};

export const TRIGGER_LABEL: Record<SyncResult["trigger"], string> = { timer: "Tidsstyrt", manual: "Manuell", cli: "Kommandolinje" };

export const DIRECTION_LABEL: Record<string, string> = {
  both: "Begge veier",
  toPortal: "Fra Meander til Min Side",
  toMeander: "Fra Min Side til Meander",
};

export const OWNER_LABEL: Record<string, string> = {
  portal: "Min Side bestemmer",
  meander: "Meander bestemmer",
  newest: "Nyeste endring vinner",
  manual: "En person avgjør",
};

/** Review item kinds, today's and the member register's. */
export const KIND_LABEL: Record<string, string> = {
  field: "Feltkonflikt",
  fieldConflict: "Feltkonflikt",
  ambiguous: "Flere mulige treff",
  unmatched: "Uten treff",
  confirmMatch: "Bekreft treff",
  oscillation: "Vekslende verdi",
};

export function formatValue(value: Scalar | undefined): string {
  if (value === undefined) return "ukjent";
  if (value === null || value === "") return "(tom)";
  if (typeof value === "boolean") return value ? "ja" : "nei";
  return String(value);
}

/** Records written by a run: everything created, updated or deleted on either side. */
export const written = (run: SyncResult): number =>
  run.counts.meander.created +
  run.counts.meander.updated +
  run.counts.meander.deleted +
  run.counts.portal.created +
  run.counts.portal.updated +
  run.counts.portal.deleted;

/** "1 åpen sak", "4 åpne saker". */
export const count = (n: number, one: string, many: string): string => `${formatNumber(n)} ${n === 1 ? one : many}`;
