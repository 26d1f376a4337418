import type { Schemas } from "../api.js";
import { formatNumber, SIDE_LABEL } from "../format.js";

const SHOWN = 25;

/** What a dry run would do, capped per kind; the counts are always complete. */
export function PlanView({ plan }: { plan: Schemas["DryRunPlan"] }) {
  return (
    <div class="plan">
      <h3>Plan</h3>
      {plan.massDeleteBlocked ? (
        <p role="alert" class="alert">
          Kjøringen ville slettet flere poster enn grensen tillater, og stopper uten å slette noe.
        </p>
      ) : null}
      <ul class="plan-counts">
        <li>{formatNumber(plan.creates.length)} opprettes</li>
        <li>{formatNumber(plan.updates.length)} oppdateres</li>
        <li>{formatNumber(plan.deletes.length)} slettes</li>
        <li>{formatNumber(plan.conflicts.length)} legges til gjennomgang</li>
      </ul>
      {plan.updates.length > 0 ? (
        <table>
          <caption>Oppdateringer{plan.updates.length > SHOWN ? ` (de første ${SHOWN})` : ""}</caption>
          <thead>
            <tr>
              <th scope="col">System</th>
              <th scope="col">Post-id</th>
              <th scope="col">Felt</th>
            </tr>
          </thead>
          <tbody>
            {plan.updates.slice(0, SHOWN).map((u) => (
              <tr key={`${u.side}:${u.id}`}>
                <td>{SIDE_LABEL[u.side]}</td>
                <td class="id">{u.id}</td>
                <td>{u.fields.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {plan.creates.length > 0 ? (
        <table>
          <caption>Nye poster{plan.creates.length > SHOWN ? ` (de første ${SHOWN})` : ""}</caption>
          <thead>
            <tr>
              <th scope="col">Opprettes i</th>
              <th scope="col">Fra post-id</th>
            </tr>
          </thead>
          <tbody>
            {plan.creates.slice(0, SHOWN).map((c) => (
              <tr key={`${c.side}:${c.sourceId}`}>
                <td>{SIDE_LABEL[c.side]}</td>
                <td class="id">{c.sourceId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {plan.deletes.length > 0 ? (
        <table>
          <caption>Slettinger{plan.deletes.length > SHOWN ? ` (de første ${SHOWN})` : ""}</caption>
          <thead>
            <tr>
              <th scope="col">System</th>
              <th scope="col">Post-id</th>
            </tr>
          </thead>
          <tbody>
            {plan.deletes.slice(0, SHOWN).map((d) => (
              <tr key={`${d.side}:${d.id}`}>
                <td>{SIDE_LABEL[d.side]}</td>
                <td class="id">{d.id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
