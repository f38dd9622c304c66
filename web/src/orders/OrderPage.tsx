// One order: its number, status, lines, totals, address, shipment, why it failed, and the
// saga's timeline, kept current by subscription (useLiveOrder) until the order is COMPLETED,
// CANCELLED or FAILED; "Cancel order" while the API says it would accept it.
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation } from "urql";
import { hasCode } from "../api/errors";
import type { OrderFieldsFragment } from "../gql/graphql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate, formatMoney, formatTime } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { CancelOrder } from "./order";
import { useLiveOrder } from "./useLiveOrder";
import { OUTCOME_WORDS, shipmentWords, STATUS_WORDS, statusTone, stepWords } from "./words";

export function OrderPage() {
  const { id = "" } = useParams();
  const { order, live, connection, error, retry } = useLiveOrder(id);
  usePageTitle(order ? `Order ${order.number}` : "Order");

  if (error && !order) {
    if (hasCode(error, "NOT_FOUND")) {
      return (
        <section className="page" aria-labelledby="order-title">
          <h1 id="order-title">Order not found</h1>
          <p>
            There is no such order, or it is not yours. <Link to="/orders">Your orders</Link>
          </p>
        </section>
      );
    }
    return <ErrorMessage error={error} retry={retry} />;
  }
  if (!order) return <Loading label="Loading the order" />;

  return (
    <article className="page order" aria-labelledby="order-title">
      <p>
        <Link to="/orders">← Your orders</Link>
      </p>
      <div className="page-head">
        <h1 id="order-title">Order {order.number}</h1>
        {live && <CancelButton id={order.id} number={order.number} allowed={order.canCancel} />}
      </div>
      <p className="meta">
        <span>
          Status:{" "}
          <span className={`badge ${statusTone(order.status)}`} data-testid="order-status" role="status">
            {STATUS_WORDS[order.status]}
          </span>
        </span>
        <span>Placed {formatDate(order.placedAt)}</span>
        <span>Updated {formatTime(order.updatedAt)}</span>
        {live && (
          <span className="live">
            <span className="spinner" aria-hidden="true" />{" "}
            {connection === "live"
              ? "Updating live"
              : connection === "reconnecting"
                ? "Reconnecting for live updates"
                : "Updating every second"}
          </span>
        )}
      </p>
      {error && <ErrorMessage error={error} />}
      {order.failureReason && (
        <p className="error" data-testid="failure-reason">
          This order failed: {order.failureReason}
        </p>
      )}
      <div className="columns">
        <section className="card" aria-labelledby="lines-title">
          <h2 id="lines-title">{order.itemCount === 1 ? "1 item" : `${order.itemCount} items`}</h2>
          <OrderLines order={order} />
        </section>
        <section className="card" aria-labelledby="shipping-title">
          <h2 id="shipping-title">Shipping</h2>
          <address className="address">
            {order.shippingAddress.name}
            <br />
            {order.shippingAddress.line1}
            {order.shippingAddress.line2 && (
              <>
                <br />
                {order.shippingAddress.line2}
              </>
            )}
            <br />
            {order.shippingAddress.postalCode} {order.shippingAddress.city}
            <br />
            {order.shippingAddress.country}
          </address>
          {order.shipment ? (
            <dl className="facts" data-testid="shipment">
              <div>
                <dt>Carrier</dt>
                <dd>{order.shipment.carrier}</dd>
              </div>
              <div>
                <dt>Tracking</dt>
                <dd>{order.shipment.tracking}</dd>
              </div>
              <div>
                <dt>Shipment</dt>
                <dd data-testid="shipment-status">{shipmentWords(order.shipment.status)}</dd>
              </div>
            </dl>
          ) : (
            <p className="muted">Not shipped yet.</p>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol className="timeline" data-testid="timeline">
          {order.timeline.map((entry, i) => (
            <li key={i} className={`timeline-entry ${entry.outcome.toLowerCase()}`}>
              <span className="step">{stepWords(entry.step)}</span>
              <span className="outcome">{OUTCOME_WORDS[entry.outcome]}</span>
              {entry.detail && <span className="detail">{entry.step === "shipment.update" ? shipmentWords(entry.detail) : entry.detail}</span>}
              <time dateTime={entry.at} className="muted">
                {formatTime(entry.at)}
              </time>
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}

function OrderLines({ order }: { order: OrderFieldsFragment }) {
  return (
    <>
      <ul className="summary-lines">
        {order.lines.map((line) => (
          <li key={line.sku}>
            <span>
              {line.quantity} × <Link to={`/catalog/${line.product.id}`}>{line.name}</Link>{" "}
              <span className="muted">at {formatMoney(line.unitPrice)}</span>
            </span>
            <span>{formatMoney(line.total)}</span>
          </li>
        ))}
      </ul>
      <p className="price large" data-testid="order-total">
        Total {formatMoney(order.total)}
      </p>
    </>
  );
}

/** Shown while the order may be cancelled (and afterwards, if cancelling was refused, to say why). */
function CancelButton({ id, number, allowed }: { id: string; number: string; allowed: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const [state, cancel] = useMutation(CancelOrder);

  if (!allowed) return state.error ? <ErrorMessage error={state.error} /> : null;
  if (!confirming) {
    return (
      <button type="button" className="button danger" onClick={() => setConfirming(true)}>
        Cancel order
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label="Confirm cancelling">
      <p>Cancel order {number}? Its stock goes back and the payment is refunded.</p>
      <button
        type="button"
        className="button danger"
        disabled={state.fetching}
        autoFocus
        onClick={async () => {
          const result = await cancel({ id });
          if (!result.error) setConfirming(false);
        }}
      >
        Yes, cancel it
      </button>
      <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
        Keep it
      </button>
      {state.error && <ErrorMessage error={state.error} />}
    </div>
  );
}
