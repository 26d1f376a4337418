import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type ConfigSummary, call } from "./api.js";
import { Loading } from "./components/common.js";
import { useLoad } from "./load.js";
import { Configs } from "./pages/Configs.js";
import { Ledger } from "./pages/Ledger.js";
import { Overview } from "./pages/Overview.js";
import { Review } from "./pages/Review.js";
import { RunDetail } from "./pages/RunDetail.js";
import { Runs } from "./pages/Runs.js";
import { href, type Route, useRoute } from "./router.js";
import "./styles.css";

const TITLE: Record<Route["page"], string> = {
  overview: "Oversikt",
  runs: "Kjøringer",
  run: "Kjøring",
  review: "Til gjennomgang",
  ledger: "Feilkø",
  configs: "Oppsett",
};

function Page({ route, configs }: { route: Route; configs: readonly ConfigSummary[] }) {
  switch (route.page) {
    case "overview":
      return <Overview configs={configs} />;
    case "runs":
      return <Runs configs={configs} configId={route.configId} />;
    case "run":
      return <RunDetail configId={route.configId} runId={route.runId} />;
    case "review":
      return <Review configs={configs} configId={route.configId} status={route.status} />;
    case "ledger":
      return <Ledger configs={configs} configId={route.configId} />;
    case "configs":
      return <Configs configs={configs} />;
  }
}

function App() {
  const route = useRoute();
  const configs = useLoad(() => call(api.GET("/sync/configs")), []);
  const list = configs.data?.configs ?? [];
  // The menu's per-config pages open the config last looked at (kept in memory only).
  const [lastConfig, setLastConfig] = useState<string>();
  const configId = "configId" in route ? route.configId : (lastConfig ?? list[0]?.id ?? "likepersons");
  useEffect(() => setLastConfig(configId), [configId]);

  useEffect(() => {
    document.title = `${TITLE[route.page]} – Synkronisering Meander og Min Side`;
    // A new page is announced from its heading, not from wherever focus was.
    document.getElementById("page-title")?.focus();
  }, [route.page, configId, "runId" in route ? route.runId : "", "status" in route ? route.status : "", configs.data]);

  const nav: [Route, string][] = [
    [{ page: "overview" }, "Oversikt"],
    [{ page: "runs", configId }, "Kjøringer"],
    [{ page: "review", configId, status: "open" }, "Til gjennomgang"],
    [{ page: "ledger", configId }, "Feilkø"],
    [{ page: "configs" }, "Oppsett"],
  ];
  const current = route.page === "run" ? "runs" : route.page;
  return (
    <>
      {/* A button, not a link to #main: the hash holds the route. */}
      <button type="button" class="skip" onClick={() => document.getElementById("page-title")?.focus()}>
        Hopp til hovedinnholdet
      </button>
      <header class="top">
        <p class="brand">Synkronisering Meander ↔ Min Side</p>
        <nav aria-label="Hovedmeny">
          <ul>
            {nav.map(([to, label]) => (
              <li key={label}>
                <a href={href(to)} aria-current={to.page === current ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main">
        <Loading loading={configs.loading} error={configs.error}>
          {configs.data ? <Page route={route} configs={list} /> : null}
        </Loading>
      </main>
      <footer class="foot">
        <p>Konsollet lagrer ingenting i nettleseren: det du ser, hentes på nytt når du åpner siden.</p>
      </footer>
    </>
  );
}

render(<App />, document.getElementById("app")!);
