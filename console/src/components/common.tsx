import type { ComponentChildren } from "preact";
import type { ConfigSummary, SyncResult } from "../api.js";
import { STATUS_LABEL } from "../format.js";
import { href, type Route } from "../router.js";

export function Status({ status }: { status: SyncResult["status"] }) {
  const label = STATUS_LABEL[status];
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true" class="status-symbol">
        {label.symbol}
      </span>{" "}
      {label.text}
    </span>
  );
}

/** Loading and failure, announced to screen readers. */
export function Loading({ error, loading, children }: { error?: string | undefined; loading: boolean; children?: ComponentChildren }) {
  if (error)
    return (
      <p role="alert" class="alert">
        {error}
      </p>
    );
  if (loading && !children) return <output class="muted loading">Laster …</output>;
  return <>{children}</>;
}

/** Which config a per-config page shows: links, so the choice is in the URL. */
export function ConfigPicker({ configs, current, to }: { configs: readonly ConfigSummary[]; current: string; to: (configId: string) => Route }) {
  if (configs.length < 2) return null;
  return (
    <nav aria-label="Velg konfigurasjon" class="picker">
      <span class="picker-label">Konfigurasjon:</span>
      <ul>
        {configs.map((c) => (
          <li key={c.id}>
            <a href={href(to(c.id))} aria-current={c.id === current ? "page" : undefined}>
              {c.id}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  // Focused after each navigation (main.tsx), so a screen reader starts at the new page.
  return (
    <h1 id="page-title" tabIndex={-1}>
      {children}
    </h1>
  );
}
