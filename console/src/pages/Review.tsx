import { useRef, useState } from "preact/hooks";
import { api, type ConfigSummary, type ConflictRecord, call, type ResolutionInput, type Side } from "../api.js";
import { ConfigPicker, Loading, PageTitle } from "../components/common.js";
import { candidatesOf, type Party, subjectOf } from "../components/parties.js";
import { count, formatNumber, formatTime, formatValue, KIND_LABEL, SIDE_LABEL } from "../format.js";
import { useLoad } from "../load.js";
import { href } from "../router.js";

export function Review({ configs, configId, status }: { configs: readonly ConfigSummary[]; configId: string; status: "open" | "resolved" }) {
  const items = useLoad(() => call(api.GET("/sync/{configId}/conflicts", { params: { path: { configId }, query: { status } } })), [configId, status]);
  const [message, setMessage] = useState<string>();
  const messageRef = useRef<HTMLParagraphElement>(null);

  async function decide(item: ConflictRecord, input: ResolutionInput): Promise<void> {
    await call(api.POST("/sync/{configId}/conflicts/{conflictId}/resolution", { params: { path: { configId, conflictId: item.conflictId } }, body: input }));
    setMessage(`Avgjørelsen for ${KIND_LABEL[item.kind] ?? item.kind} ${item.conflictId} er lagret. Neste kjøring skriver den til begge systemene.`);
    items.reload();
    // The decided item leaves the list: keyboard and screen-reader users land on the confirmation.
    requestAnimationFrame(() => messageRef.current?.focus());
  }

  const list = items.data?.conflicts ?? [];
  return (
    <>
      <PageTitle>Til gjennomgang: {configId}</PageTitle>
      <ConfigPicker configs={configs} current={configId} to={(id) => ({ page: "review", configId: id, status })} />
      <nav aria-label="Åpne eller avgjorte saker" class="tabs">
        <ul>
          <li>
            <a href={href({ page: "review", configId, status: "open" })} aria-current={status === "open" ? "page" : undefined}>
              Åpne
            </a>
          </li>
          <li>
            <a href={href({ page: "review", configId, status: "resolved" })} aria-current={status === "resolved" ? "page" : undefined}>
              Avgjorte
            </a>
          </li>
        </ul>
      </nav>
      <div aria-live="polite">
        {message ? (
          <p ref={messageRef} tabIndex={-1} class="confirmation">
            {message}
          </p>
        ) : null}
      </div>
      <Loading loading={items.loading} error={items.error}>
        {items.data ? (
          list.length === 0 ? (
            <p>{status === "open" ? "Ingen saker venter på en avgjørelse." : "Ingen avgjorte saker ennå."}</p>
          ) : (
            <>
              <p>{status === "open" ? count(list.length, "åpen sak", "åpne saker") : count(list.length, "avgjort sak", "avgjorte saker")}.</p>
              {list.map((item) => (
                <ReviewItem key={item.conflictId} item={item} onDecide={(input) => decide(item, input)} />
              ))}
            </>
          )
        ) : null}
      </Loading>
    </>
  );
}

function ReviewItem({ item, onDecide }: { item: ConflictRecord; onDecide: (input: ResolutionInput) => Promise<void> }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const headingId = `item-${item.conflictId}`;
  const candidates = candidatesOf(item);
  const subject = subjectOf(item);

  async function decide(input: ResolutionInput) {
    setBusy(true);
    setError(undefined);
    try {
      await onDecide(input);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  }

  return (
    <article class="card review-item" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {KIND_LABEL[item.kind] ?? item.kind}
        <span class="muted"> · oppdaget {formatTime(item.detectedAt)}</span>
      </h2>
      <dl class="ids">
        {item.meanderId ? (
          <div>
            <dt>Meander-id</dt>
            <dd class="id">{item.meanderId}</dd>
          </div>
        ) : null}
        {item.portalId ? (
          <div>
            <dt>Min Side-id</dt>
            <dd class="id">{item.portalId}</dd>
          </div>
        ) : null}
        <div>
          <dt>Sak</dt>
          <dd class="id">{item.conflictId}</dd>
        </div>
      </dl>
      {item.kind === "oscillation" && item.status === "open" ? (
        <p>
          Tjenesten har skrevet den samme verdien tilbake flere ganger på rad, og den andre siden har endret den igjen hver gang (for eksempel en plug-in i
          Dynamics). Feltet skrives ikke før noen avgjør hvilken verdi som skal gjelde.
        </p>
      ) : null}
      {item.fields.length > 0 ? <FieldTable item={item} /> : null}
      {subject && candidates.length > 0 ? <PartyCard party={subject} title="Posten saken gjelder" /> : null}
      {candidates.length > 0 ? (
        <div class="candidates">
          <h3>Kandidater ({formatNumber(candidates.length)})</h3>
          <ul>
            {candidates.map((c, i) => (
              <li key={c.id}>
                <PartyCard party={c} title={`Kandidat ${i + 1}`}>
                  {item.status === "open" ? (
                    <button type="button" disabled={busy} onClick={() => decide({ choice: "value", values: { partner: c.id } })}>
                      Koble til kandidat {i + 1}
                    </button>
                  ) : null}
                </PartyCard>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {item.status === "open" ? (
        <Decisions item={item} busy={busy} decide={decide} hasCandidates={candidates.length > 0} />
      ) : (
        <ResolvedNote item={item} candidates={candidates} />
      )}
      {error ? (
        <p role="alert" class="alert">
          {error}
        </p>
      ) : null}
    </article>
  );
}

function FieldTable({ item }: { item: ConflictRecord }) {
  return (
    <table class="values">
      <caption>Verdiene på hver side</caption>
      <thead>
        <tr>
          <th scope="col">Felt</th>
          <th scope="col">Sist enige verdi</th>
          <th scope="col">Meander</th>
          <th scope="col">Min Side</th>
        </tr>
      </thead>
      <tbody>
        {item.fields.map((f) => (
          <tr key={f.field}>
            <th scope="row" class="code">
              {f.field}
            </th>
            <td>{formatValue(f.base)}</td>
            <td>{formatValue(f.meander)}</td>
            <td>{formatValue(f.portal)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function PartyCard({ party, title, children }: { party: Party; title: string; children?: preact.ComponentChildren }) {
  const values = Object.entries(party.values ?? {});
  return (
    <section class="party" aria-label={`${title}: ${party.id}`}>
      <h4>
        {title}
        {party.side ? ` i ${SIDE_LABEL[party.side]}` : ""}
      </h4>
      <p class="id">{party.id}</p>
      {party.active === false ? <p>Ikke aktiv (kan ikke kobles automatisk)</p> : null}
      {values.length > 0 ? (
        <dl class="facts compact">
          {values.map(([key, value]) => (
            <div key={key}>
              <dt class="code">{key}</dt>
              <dd>{formatValue(value)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {party.url ? (
        <p>
          <a href={party.url} target="_blank" rel="noopener noreferrer">
            Åpne i {party.side ? SIDE_LABEL[party.side] : "systemet"} <span class="muted">(ny fane)</span>
          </a>
        </p>
      ) : null}
      {children}
    </section>
  );
}

function Decisions({
  item,
  busy,
  decide,
  hasCandidates,
}: {
  item: ConflictRecord;
  busy: boolean;
  decide: (input: ResolutionInput) => Promise<void>;
  hasCandidates: boolean;
}) {
  const [giving, setGiving] = useState(false);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(item.fields.map((f) => [f.field, formatInput(f.meander)])));
  const formId = `give-${item.conflictId}`;
  const takeSide = (side: Side) => decide({ choice: side });
  return (
    <div class="decisions">
      <h3>Avgjørelse</h3>
      {item.fields.length > 0 ? (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => takeSide("meander")}>
            Bruk Meanders verdier
          </button>
          <button type="button" disabled={busy} onClick={() => takeSide("portal")}>
            Bruk Min Sides verdier
          </button>
          <button type="button" disabled={busy} aria-expanded={giving} aria-controls={formId} onClick={() => setGiving(!giving)}>
            Angi verdier selv
          </button>
        </div>
      ) : null}
      {item.fields.length > 0 && giving ? (
        <form
          id={formId}
          class="give"
          onSubmit={(event) => {
            event.preventDefault();
            void decide({
              choice: "value",
              values: Object.fromEntries(item.fields.map((f) => [f.field, values[f.field] === "" ? null : (values[f.field] ?? null)])),
            });
          }}
        >
          {item.fields.map((f) => (
            <p key={f.field}>
              <label for={`${formId}-${f.field}`}>Ny verdi for {f.field}</label>
              <input
                id={`${formId}-${f.field}`}
                type="text"
                autocomplete="off"
                value={values[f.field] ?? ""}
                onInput={(e) => setValues({ ...values, [f.field]: (e.target as HTMLInputElement).value })}
              />
            </p>
          ))}
          <button type="submit" class="primary" disabled={busy}>
            Lagre verdiene
          </button>
        </form>
      ) : null}
      {hasCandidates || (item.kind as string) === "unmatched" ? (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => decide({ choice: "value", values: { partner: null } })}>
            Opprett ny post i stedet
          </button>
        </div>
      ) : null}
    </div>
  );
}

const formatInput = (value: unknown): string => (value === null || value === undefined ? "" : String(value));

const CHOICE_LABEL: Record<string, string> = { meander: "Meanders verdier", portal: "Min Sides verdier", value: "Verdier angitt av en person" };

function ResolvedNote({ item, candidates }: { item: ConflictRecord; candidates: readonly Party[] }) {
  const r = item.resolution;
  if (!r) return <p>Avgjort.</p>;
  const partner = r.values.partner;
  const decision =
    "partner" in r.values
      ? partner === null
        ? "Opprett ny post"
        : `Koble til kandidat ${candidates.findIndex((c) => c.id === partner) + 1 || ""} (${formatValue(partner)})`
      : r.choice === "value"
        ? `${CHOICE_LABEL.value}: ${Object.entries(r.values)
            .map(([k, v]) => `${k} = ${formatValue(v)}`)
            .join(", ")}`
        : (CHOICE_LABEL[r.choice] ?? r.choice);
  return (
    <dl class="facts resolved">
      <div>
        <dt>Avgjørelse</dt>
        <dd>{decision}</dd>
      </div>
      <div>
        <dt>Avgjort</dt>
        <dd>
          {formatTime(r.resolvedAt)} av {r.resolvedBy ?? "ukjent (innlogging er av)"}
        </dd>
      </div>
      <div>
        <dt>Brukt</dt>
        <dd>{r.appliedAt ? `Skrevet til begge systemene ${formatTime(r.appliedAt)}` : "Venter på neste kjøring"}</dd>
      </div>
    </dl>
  );
}
