import { api, call, type Schemas } from "../api.js";
import { Loading, PageTitle, Status } from "../components/common.js";
import { formatDuration, formatNumber, formatTime, SIDE_LABEL, TRIGGER_LABEL } from "../format.js";
import { useLoad } from "../load.js";
import { href } from "../router.js";

const COUNT_LABEL: [keyof Schemas["SideCounts"], string][] = [
  ["read", "Lest"],
  ["created", "Opprettet"],
  ["updated", "Oppdatert"],
  ["deleted", "Slettet"],
  ["unchanged", "Uendret"],
  ["skipped", "Hoppet over"],
  ["failed", "Feilet"],
];

export function RunDetail({ configId, runId }: { configId: string; runId: string }) {
  const run = useLoad(() => call(api.GET("/sync/{configId}/runs/{runId}", { params: { path: { configId, runId } } })), [configId, runId]);
  const r = run.data;
  return (
    <>
      <PageTitle>Kjøring {runId}</PageTitle>
      <p>
        <a href={href({ page: "runs", configId })}>Tilbake til kjøringene for {configId}</a>
      </p>
      <Loading loading={run.loading} error={run.error}>
        {r ? (
          <>
            <dl class="facts">
              <div>
                <dt>Status</dt>
                <dd>
                  <Status status={r.status} />
                </dd>
              </div>
              <div>
                <dt>Utløser</dt>
                <dd>{TRIGGER_LABEL[r.trigger]}</dd>
              </div>
              <div>
                <dt>Startet</dt>
                <dd>{formatTime(r.startedAt)}</dd>
              </div>
              <div>
                <dt>Ferdig</dt>
                <dd>{formatTime(r.finishedAt)}</dd>
              </div>
              <div>
                <dt>Varighet</dt>
                <dd>{formatDuration(r.durationMs)}</dd>
              </div>
              <div>
                <dt>Til gjennomgang</dt>
                <dd>
                  {formatNumber(r.conflicts.found)} funnet, {formatNumber(r.conflicts.autoResolved)} løst etter regel, {formatNumber(r.conflicts.resolved)}{" "}
                  avgjørelser brukt, {formatNumber(r.conflicts.open)} åpne
                </dd>
              </div>
              <div>
                <dt>Feilkø</dt>
                <dd>
                  {formatNumber(r.ledger.size)} poster, {formatNumber(r.ledger.retried)} prøvd på nytt, {formatNumber(r.ledger.recovered)} gikk gjennom
                </dd>
              </div>
            </dl>
            <table>
              <caption>Poster per system</caption>
              <thead>
                <tr>
                  <th scope="col">System</th>
                  {COUNT_LABEL.map(([key, label]) => (
                    <th scope="col" key={key}>
                      {label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {(["meander", "portal"] as const).map((side) => (
                  <tr key={side}>
                    <th scope="row">{SIDE_LABEL[side]}</th>
                    {COUNT_LABEL.map(([key]) => (
                      <td class="num" key={key}>
                        {formatNumber(r.counts[side][key])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Feil ({formatNumber(r.errorCount)})</h2>
            {r.errors.length === 0 ? (
              <p>Ingen feil.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <caption>
                    Feil i kjøringen{r.errorCount > r.errors.length ? ` (de første ${formatNumber(r.errors.length)} av ${formatNumber(r.errorCount)})` : ""}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">System</th>
                      <th scope="col">Post-id</th>
                      <th scope="col">Kode</th>
                      <th scope="col">HTTP-status</th>
                      <th scope="col">Melding</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.errors.map((e, i) => (
                      <tr key={i}>
                        <td>{e.side ? SIDE_LABEL[e.side] : "–"}</td>
                        <td class="id">{e.recordId ?? "–"}</td>
                        <td class="code">{e.code}</td>
                        <td class="num">{e.status ?? "–"}</td>
                        <td>{e.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h2>Merknader</h2>
            {r.notes.length === 0 ? (
              <p>Ingen merknader.</p>
            ) : (
              <ul>
                {r.notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </Loading>
    </>
  );
}
