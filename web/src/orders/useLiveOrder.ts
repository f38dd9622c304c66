// One order, kept current until it reaches a final status (COMPLETED, CANCELLED, FAILED).
// The gateway has no subscriptions yet, so this asks again a second after each answer while the
// order is under way; a subscription (graphql-ws) can replace the polling here, behind the same
// return value, without the order page changing.
import { useEffect } from "react";
import { useQuery } from "urql";
import { OrderDetail } from "./order";
import { isTerminal } from "./words";

export const POLL_MS = 1_000;

export function useLiveOrder(id: string) {
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: OrderDetail,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const order = data?.order;
  const live = !!order && !isTerminal(order.status);

  useEffect(() => {
    // One request at a time: the next one is scheduled once the previous answer is in.
    if (!live || fetching) return;
    const timer = window.setTimeout(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [live, fetching, data, reexecute]);

  return {
    order,
    /** Loaded, but not final: updates are still coming. */
    live,
    fetching: fetching && !data,
    error,
    retry: () => reexecute({ requestPolicy: "network-only" }),
  };
}
