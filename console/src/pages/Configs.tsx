import type { ConfigSummary } from "../api.js";
import { PageTitle } from "../components/common.js";
import { DIRECTION_LABEL, OWNER_LABEL } from "../format.js";

const KNOWN = new Set(["id", "enabled", "description", "direction", "meanderEntity", "portalEntity", "fields", "matchKeys"]);

/** Settings a config summary gains later (delete and scope-exit policies, say), shown as they come. */
function otherSettings(config: ConfigSummary): [string, string][] {
  return Object.entries(config as Record<string, unknown>)
    .filter(([key]) => !KNOWN.has(key))
    .map(([key, value]) => [key, typeof value === "object" ? JSON.stringify(value) : String(value)]);
}

export function Configs({ configs }: { configs: readonly ConfigSummary[] }) {
  return (
    <>
      <PageTitle>Oppsett</PageTitle>
      <p class="lead">Hvilke felt som synkroniseres, i hvilken retning, og hvem som bestemmer når begge sider har endret samme felt.</p>
      {configs.map((c) => {
        const other = otherSettings(c);
        return (
          <section class="card" key={c.id} aria-labelledby={`cfg-${c.id}`}>
            <h2 id={`cfg-${c.id}`}>{c.id}</h2>
            {c.description ? <p>{c.description}</p> : null}
            <dl class="facts">
              <div>
                <dt>Påslått</dt>
                <dd>{c.enabled ? "Ja" : "Nei"}</dd>
              </div>
              <div>
                <dt>Retning</dt>
                <dd>{DIRECTION_LABEL[c.direction] ?? c.direction}</dd>
              </div>
              <div>
                <dt>Meander-tabell</dt>
                <dd class="code">{c.meanderEntity}</dd>
              </div>
              <div>
                <dt>Min Side-tabell</dt>
                <dd class="code">{c.portalEntity}</dd>
              </div>
              <div>
                <dt>Koblingsnøkler (i rekkefølge)</dt>
                <dd>
                  {c.matchKeys.map((k, i) => (
                    <span key={k.meander} class="code">
                      {i > 0 ? ", " : ""}
                      {k.meander} = {k.portal}
                    </span>
                  ))}
                </dd>
              </div>
              {other.map(([key, value]) => (
                <div key={key}>
                  <dt class="code">{key}</dt>
                  <dd class="code">{value}</dd>
                </div>
              ))}
            </dl>
            <div class="table-wrap">
              <table>
                <caption>Felt i {c.id}</caption>
                <thead>
                  <tr>
                    <th scope="col">Meander</th>
                    <th scope="col">Min Side</th>
                    <th scope="col">Retning</th>
                    <th scope="col">Ved konflikt</th>
                  </tr>
                </thead>
                <tbody>
                  {c.fields.map((f) => (
                    <tr key={`${f.meander}:${f.portal}`}>
                      <td class="code">{f.meander}</td>
                      <td class="code">{f.portal}</td>
                      <td>{DIRECTION_LABEL[f.direction] ?? f.direction}</td>
                      <td>{OWNER_LABEL[f.owner] ?? f.owner}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </>
  );
}
