import { api, type ConfigSummary, call } from "../api.js";
import { ConfigPicker, Loading, PageTitle } from "../components/common.js";
import { count, formatNumber, formatTime, SIDE_LABEL } from "../format.js";
import { useLoad } from "../load.js";

export function Ledger({ configs, configId }: { configs: readonly ConfigSummary[]; configId: string }) {
  const ledger = useLoad(() => call(api.GET("/sync/{configId}/ledger", { params: { path: { configId } } })), [configId]);
  const entries = ledger.data?.entries ?? [];
  return (
    <>
      <PageTitle>Feilkø: {configId}</PageTitle>
      <ConfigPicker configs={configs} current={configId} to={(id) => ({ page: "ledger", configId: id })} />
      <p class="lead">Poster som ikke kunne skrives. Hver kjøring prøver dem på nytt til de går gjennom eller endres.</p>
      <Loading loading={ledger.loading} error={ledger.error}>
        {ledger.data ? (
          entries.length === 0 ? (
            <p>Feilkøen er tom.</p>
          ) : (
            <div class="table-wrap">
              <table>
                <caption>{count(entries.length, "post venter", "poster venter")}, sist feilet først</caption>
                <thead>
                  <tr>
                    <th scope="col">System</th>
                    <th scope="col">Post-id</th>
                    <th scope="col">Forsøk</th>
                    <th scope="col">Feilet første gang</th>
                    <th scope="col">Feilet sist</th>
                    <th scope="col">Feilkode</th>
                    <th scope="col">Melding</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => (
                    <tr key={`${e.side}:${e.recordId}`}>
                      <td>{SIDE_LABEL[e.side]}</td>
                      <td class="id">{e.recordId}</td>
                      <td class="num">{formatNumber(e.attempts)}</td>
                      <td>{formatTime(e.firstFailedAt)}</td>
                      <td>{formatTime(e.lastFailedAt)}</td>
                      <td class="code">
                        {e.lastError.code}
                        {e.lastError.status ? ` (${e.lastError.status})` : ""}
                      </td>
                      <td>{e.lastError.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        ) : null}
      </Loading>
    </>
  );
}
