// Low-stock alerts (the `lowStock` subscription, scope `catalog:write`): each time a stock change
// leaves a product at or below its threshold, newest first, while the admin screen is open.
// Alerts are events, not state: those raised while the socket was down are not fetched again
// (the API has no low-stock list), and the panel says so while it reconnects.
import { Link } from "react-router";
import { useSubscription } from "urql";
import { useReopenWhenLagged, useSocketState } from "../api/live";
import { graphql } from "../gql";
import type { LowStockSubscription } from "../gql/graphql";
import { hasCode } from "../api/errors";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatTime } from "../ui/format";

const LowStock = graphql(`
  subscription LowStock {
    lowStock {
      id
      sku
      name
      inventory {
        available
        lowStockThreshold
      }
    }
  }
`);

/** The most alerts kept on screen. */
const KEPT = 50;

type Product = NonNullable<LowStockSubscription["lowStock"]>;
interface Alert {
  key: number;
  at: string;
  product: Product;
}

let nextKey = 0;

function addAlert(alerts: Alert[] = [], data: LowStockSubscription): Alert[] {
  if (!data.lowStock) return alerts;
  const alert = { key: nextKey++, at: new Date().toISOString(), product: data.lowStock };
  return [alert, ...alerts].slice(0, KEPT);
}

export function LowStockAlerts() {
  const [{ data: alerts = [], error }, reopen] = useSubscription({ query: LowStock }, addAlert);
  // Nothing to fetch again: alerts are events (see above).
  useReopenWhenLagged(error, reopen, () => {});
  const socket = useSocketState();

  return (
    <section className="card stack" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Low-stock alerts</h2>
      {error && !hasCode(error, "SUBSCRIBER_LAGGED") && <ErrorMessage error={error} />}
      {socket === "reconnecting" && (
        <p className="muted" role="status">
          Reconnecting: alerts raised until then are not shown here.
        </p>
      )}
      {/* A log: screen readers announce each new alert. */}
      <div role="log" aria-labelledby="alerts-title">
        <ul className="alerts">
          {alerts.map(({ key, at, product }) => (
            <li key={key} className="alert-row">
              <Link to={`/admin/products/${product.id}`}>{product.name}</Link>{" "}
              <span className="badge low">
                {product.inventory.available <= 0 ? "Out of stock" : `${product.inventory.available} left`}
              </span>{" "}
              <span className="muted">
                at or below {product.inventory.lowStockThreshold} · {product.sku} · {formatTime(at)}
              </span>
            </li>
          ))}
        </ul>
      </div>
      {alerts.length === 0 && !error && <p className="muted">No product has run low since this page was opened.</p>}
    </section>
  );
}
