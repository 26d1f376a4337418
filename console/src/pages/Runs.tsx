import { api, type ConfigSummary, call } from "../api.js";
import { ConfigPicker, Loading, PageTitle, Status } from "../components/common.js";
import { RunChart } from "../components/RunChart.js";
import { formatDuration, formatNumber, formatTime, TRIGGER_LABEL, written } from "../format.js";
import { useLoad } from "../load.js";
import { href } from "../router.js";

export function Runs({ configs, configId }: { configs: readonly ConfigSummary[]; configId: string }) {
  const runs = useLoad(() => call(api.GET("/sync/{configId}/runs", { params: { path: { configId }, query: { limit: 50 } } })), [configId]);
  const list = runs.data?.runs ?? [];
  return (
    <>
      <PageTitle>Kjøringer: {configId}</PageTitle>
      <ConfigPicker configs={configs} current={configId} to={(id) => ({ page: "runs", configId: id })} />
      <div class="actions">
        <button type="button" onClick={runs.reload}>
          Oppdater
        </button>
      </div>
      <Loading loading={runs.loading} error={runs.error}>
        {runs.data ? (
          list.length === 0 ? (
            <p>Ingen kjøringer ennå.</p>
          ) : (
            <>
              <RunChart runs={list} />
              <div class="table-wrap">
                <table class="runs">
                  <caption>{list.length === 1 ? "Den siste kjøringen" : `De siste ${formatNumber(list.length)} kjøringene, nyeste først`}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Startet</th>
                      <th scope="col">Status</th>
                      <th scope="col">Utløser</th>
                      <th scope="col">Varighet</th>
                      <th scope="col">Lest (Meander / Min Side)</th>
                      <th scope="col">Skrevet</th>
                      <th scope="col">Til gjennomgang</th>
                      <th scope="col">Feilkø</th>
                      <th scope="col">Feil</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((r) => (
                      <tr key={r.runId}>
                        <td>
                          <a href={href({ page: "run", configId, runId: r.runId })}>{formatTime(r.startedAt)}</a>
                        </td>
                        <td>
                          <Status status={r.status} />
                        </td>
                        <td>{TRIGGER_LABEL[r.trigger]}</td>
                        <td class="num">{formatDuration(r.durationMs)}</td>
                        <td class="num">
                          {formatNumber(r.counts.meander.read)} / {formatNumber(r.counts.portal.read)}
                        </td>
                        <td class="num">{formatNumber(written(r))}</td>
                        <td class="num">{formatNumber(r.conflicts.open)}</td>
                        <td class="num">{formatNumber(r.ledger.size)}</td>
                        <td class="num">{formatNumber(r.errorCount)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )
        ) : null}
      </Loading>
    </>
  );
}
