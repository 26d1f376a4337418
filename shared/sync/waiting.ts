/**
 * Records waiting for a lookup target: an activity report whose likeperson no one has
 * coupled yet (HLF's rules keep a Meander-only likeperson as an `unmatched` review item until
 * a person links it, maybe days later). That is no failure to retry every run: the ledger
 * entry names the targets, spends no attempts, and is re-read only when the config that
 * resolves them has coupled records since the last look (its `couplings` count on its control
 * row, read with this config's lease row), or a day went by, and then only if its targets
 * now have links.
 */
import type { CompiledConfig } from "../core/compile.js";
import { getPath } from "../core/paths.js";
import type { LedgerEntry, LookupTarget, StateStore } from "../ports.js";

export const LOOKUP_UNRESOLVED = "LOOKUP_UNRESOLVED";

/** The configs whose links this config's lookup fields read. */
export function lookupConfigsOf(compiled: CompiledConfig): string[] {
  return [...new Set(compiled.config.fields.flatMap((f) => (f.lookup ? [f.lookup.config] : [])))];
}

/** The lookup targets of a Meander record that did not resolve (none: the failure is not a wait). */
export function unresolvedTargets(compiled: CompiledConfig, data: Readonly<Record<string, unknown>>, resolved: ReadonlyMap<string, string>): LookupTarget[] {
  const targets: LookupTarget[] = [];
  for (const field of compiled.config.fields) {
    if (!field.lookup) continue;
    const value = getPath(data, field.meander);
    if (typeof value === "string" && value && !resolved.has(value)) targets.push({ config: field.lookup.config, id: value });
  }
  return targets;
}

export function sameTargets(a: readonly LookupTarget[], b: readonly LookupTarget[]): boolean {
  return a.length === b.length && a.every((t, i) => t.config === b[i]?.config && t.id === b[i]?.id);
}

/** Written before entries named their targets: re-read when lookups changed, whatever its attempts. */
export const isLegacyWaiting = (entry: LedgerEntry): boolean => !entry.waitingFor?.length && entry.lastError.code === LOOKUP_UNRESOLVED;

/** The waiting entries to re-read: every target has a link now (entries that name none are re-read to find out). */
export async function resolvedWaiting(state: StateStore, entries: readonly LedgerEntry[]): Promise<LedgerEntry[]> {
  const byConfig = new Map<string, Set<string>>();
  for (const entry of entries) for (const t of entry.waitingFor ?? []) byConfig.set(t.config, (byConfig.get(t.config) ?? new Set()).add(t.id));
  const linked = new Set<string>();
  await Promise.all(
    [...byConfig].map(async ([config, ids]) => {
      const links = await state.getLinks(
        config,
        [...ids].map((id) => ({ side: "meander" as const, id })),
      );
      for (const link of links) linked.add(`${config}\n${link.meanderId}`);
    }),
  );
  return entries.filter((e) => (e.waitingFor ?? []).every((t) => linked.has(`${t.config}\n${t.id}`)));
}
