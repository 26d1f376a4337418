import { useState } from "preact/hooks";
import { api, type ConfigSummary, call, type SyncResult } from "../api.js";
import { Loading, PageTitle, Status } from "../components/common.js";
import { PlanView } from "../components/PlanView.js";
import { count, formatDuration, formatNumber, formatTime, TRIGGER_LABEL, written } from "../format.js";
import { useLoad } from "../load.js";
import { href } from "../router.js";

export function Overview({ configs }: { configs: readonly ConfigSummary[] }) {
  return (
    <>
      <PageTitle>Oversikt</PageTitle>
      <p class="lead">Siste kjøring, neste tidsstyrte kjøring og det som venter på en person, for hver konfigurasjon.</p>
      {configs.map((c) => (
        <ConfigCard key={c.id} config={c} />
      ))}
    </>
  );
}

function ConfigCard({ config }: { config: ConfigSummary }) {
  const overview = useLoad(() => call(api.GET("/sync/{configId}/overview", { params: { path: { configId: config.id } } })), [config.id]);
  const [busy, setBusy] = useState<"run" | "dry" | undefined>();
  const [outcome, setOutcome] = useState<{ result?: SyncResult; error?: string }>();
  const headingId = `config-${config.id}`;

  async function start(dryRun: boolean) {
    setBusy(dryRun ? "dry" : "run");
    setOutcome(undefined);
    try {
      const result = await call(api.POST("/sync/{configId}/runs", { params: { path: { configId: config.id } }, body: dryRun ? { dryRun: true } : {} }));
      setOutcome({ result });
      if (!dryRun) overview.reload();
    } catch (error) {
      setOutcome({ error: (error as Error).message });
    } finally {
      setBusy(undefined);
    }
  }

  const o = overview.data;
  const last = o?.lastRun;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {config.id}
        {config.enabled ? "" : " (avslått)"}
      </h2>
      {config.description ? <p class="muted">{config.description}</p> : null}
      <Loading loading={overview.loading} error={overview.error}>
        {o ? (
          <dl class="facts">
            <div>
              <dt>Siste kjøring</dt>
              <dd>
                {last ? (
                  <>
                    <Status status={last.status} /> <a href={href({ page: "run", configId: config.id, runId: last.runId })}>{formatTime(last.startedAt)}</a>
                    <span class="muted">
                      {" "}
                      ({TRIGGER_LABEL[last.trigger]}, {formatDuration(last.durationMs)}, {formatNumber(written(last))} skrevet, {formatNumber(last.errorCount)}{" "}
                      feil)
                    </span>
                  </>
                ) : (
                  "Ingen kjøringer ennå"
                )}
              </dd>
            </div>
            <div>
              <dt>Neste tidsstyrte kjøring</dt>
              <dd>{o.nextTimerRun ? formatTime(o.nextTimerRun) : "Ingen (konfigurasjonen er avslått)"}</dd>
            </div>
            <div>
              <dt>Til gjennomgang</dt>
              <dd>
                <a href={href({ page: "review", configId: config.id, status: "open" })}>{count(o.openReviewItems, "åpen sak", "åpne saker")}</a>
              </dd>
            </div>
            <div>
              <dt>Feilkø</dt>
              <dd>
                <a href={href({ page: "ledger", configId: config.id })}>{count(o.ledgerSize, "post venter", "poster venter")} på nytt forsøk</a>
              </dd>
            </div>
          </dl>
        ) : null}
      </Loading>
      <p>
        <a href={href({ page: "runs", configId: config.id })}>Alle kjøringer for {config.id}</a>
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={() => start(false)} disabled={busy !== undefined} aria-describedby={`${headingId}-run-help`}>
          {busy === "run" ? "Kjører …" : "Kjør nå"}
        </button>
        <button type="button" onClick={() => start(true)} disabled={busy !== undefined}>
          {busy === "dry" ? "Planlegger …" : "Prøvekjøring"}
        </button>
        <span id={`${headingId}-run-help`} class="muted">
          Prøvekjøring leser begge sider og viser planen, uten å skrive noe.
        </span>
      </div>
      <div aria-live="polite" class="outcome">
        {outcome?.error ? (
          <p role="alert" class="alert">
            {outcome.error}
          </p>
        ) : null}
        {outcome?.result ? <RunOutcome result={outcome.result} /> : null}
      </div>
    </section>
  );
}

function RunOutcome({ result }: { result: SyncResult }) {
  return (
    <div class="result">
      <p>
        {result.dryRun ? "Prøvekjøringen er ferdig: " : "Kjøringen er ferdig: "}
        <Status status={result.status} />, {formatDuration(result.durationMs)}.{" "}
        {result.dryRun ? null : <a href={href({ page: "run", configId: result.configId, runId: result.runId })}>Se kjøringen</a>}
      </p>
      {result.plan ? <PlanView plan={result.plan} /> : null}
    </div>
  );
}
