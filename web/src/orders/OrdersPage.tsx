// Order history: the viewer's orders, newest first, a page at a time ("Show more": Relay
// cursors merged by graphcache's relayPagination), filtered by status (kept in the URL). Kept
// current by the `myOrders` subscription: a changed order's row follows through graphcache (the
// same `Order`), and the first page is fetched again, since a new order, or one whose status
// left or entered the filter, changes which orders the list holds.
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useClient, useQuery, useSubscription } from "urql";
import { useRefetchOnChange, useReopenWhenLagged } from "../api/live";
import { graphql } from "../gql";
import type { OrderStatus } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate, formatMoney } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { STATUSES, STATUS_WORDS, statusTone } from "./words";

const PAGE_SIZE = 10;

const MyOrders = graphql(`
  query MyOrders($first: Int!, $after: String, $status: OrderStatus) {
    myOrders(first: $first, after: $after, status: $status) {
      totalCount
      edges {
        cursor
        node {
          id
          number
          status
          itemCount
          placedAt
          total {
            amount
            currency
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const MyOrdersChanged = graphql(`
  subscription MyOrdersChanged {
    myOrders {
      id
      number
      status
      itemCount
      placedAt
      total {
        amount
        currency
      }
    }
  }
`);

/** A new value per event. */
const count = (seen = 0) => seen + 1;

export function OrdersPage() {
  usePageTitle("Your orders");
  const [params, setParams] = useSearchParams();
  const status = STATUSES.find((s) => s === params.get("status")) ?? null;

  return (
    <section className="page" aria-labelledby="orders-title">
      <div className="page-head">
        <h1 id="orders-title">Your orders</h1>
        <Link to="/cart">Your cart</Link>
      </div>
      <div className="filters">
        <div className="field">
          <label htmlFor="order-status">Status</label>
          <select
            id="order-status"
            value={status ?? ""}
            onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}
          >
            <option value="">All orders</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_WORDS[s]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <OrderList key={status ?? "all"} status={status} />
    </section>
  );
}

/** Mount with a `key` per status, so that a new filter starts from its first page. */
function OrderList({ status }: { status: OrderStatus | null }) {
  const [after, setAfter] = useState<string | null>(null);
  // Orders move on their own (the saga): show the cached list, then the fresh one.
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: MyOrders,
    variables: { first: PAGE_SIZE, after, status },
    requestPolicy: "cache-and-network",
  });
  const orders = data?.myOrders;
  const client = useClient();
  const [{ data: changes, error: pushError }, reopen] = useSubscription({ query: MyOrdersChanged }, count);
  const firstPageAgain = () => {
    void client.query(MyOrders, { first: PAGE_SIZE, after: null, status }, { requestPolicy: "network-only" }).toPromise();
  };
  useRefetchOnChange(changes, firstPageAgain);
  useReopenWhenLagged(pushError, reopen, firstPageAgain);

  if (error && !orders) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!orders) return <Loading label="Loading your orders" />;

  return (
    <section aria-labelledby="orders-count">
      <h2 id="orders-count" className="results-count" aria-live="polite">
        {orders.totalCount === 1 ? "1 order" : `${orders.totalCount.toLocaleString()} orders`}
      </h2>
      {orders.edges.length === 0 ? (
        <Empty>{status ? `You have no orders that are ${STATUS_WORDS[status].toLowerCase()}.` : "You have not ordered anything yet."}</Empty>
      ) : (
        <ul className="order-list">
          {orders.edges.map(({ node }) => (
            <li key={node.id} className="order-row">
              <Link className="title" to={`/orders/${node.id}`}>
                Order {node.number}
              </Link>
              <span className={`badge ${statusTone(node.status)}`}>{STATUS_WORDS[node.status]}</span>
              <span className="meta">
                <span>{formatDate(node.placedAt)}</span>
                <span>{node.itemCount === 1 ? "1 item" : `${node.itemCount} items`}</span>
                <span className="owner">{formatMoney(node.total)}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {error && <ErrorMessage error={error} />}
      {orders.pageInfo.hasNextPage && (
        <div className="more">
          {fetching ? (
            <Loading label="Loading more orders" />
          ) : (
            <button type="button" className="button secondary" onClick={() => setAfter(orders.pageInfo.endCursor ?? null)}>
              Show more orders
            </button>
          )}
        </div>
      )}
    </section>
  );
}
