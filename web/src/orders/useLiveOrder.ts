// One order, kept current until it reaches a final status (COMPLETED, CANCELLED, FAILED) by the
// `orderUpdated` subscription: each update carries the whole order (`OrderFields`), which
// graphcache stores as the same `Order` the page's query reads, so the page follows without
// asking again. After each (re)connection of the socket the order is fetched once more
// (`useCatchUp`), since a subscription delivers only what happens after it is in place. When the
// gateway refuses or ends the subscription (a gateway without events answers
// SUBSCRIPTION_UNAVAILABLE), the page asks for the order a second after each answer instead,
// until it is final.
import { useEffect } from "react";
import { useQuery, useSubscription } from "urql";
import { useCatchUp, useSocketState } from "../api/live";
import { graphql } from "../gql";
import { OrderDetail } from "./order";
import { isTerminal } from "./words";

/** How long after each answer the order is asked for again when there is no subscription. */
export const POLL_MS = 1_000;

const OrderUpdated = graphql(`
  subscription OrderUpdated($id: ID!) {
    orderUpdated(id: $id) {
      ...OrderFields
    }
  }
`);

export function useLiveOrder(id: string) {
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: OrderDetail,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const order = data?.order;
  const live = !!order && !isTerminal(order.status);
  // Ends (the socket closes with the last subscription) once the order is final.
  const [updates] = useSubscription({ query: OrderUpdated, variables: { id }, pause: !live });
  useCatchUp(() => reexecute({ requestPolicy: "network-only" }), live);
  const socket = useSocketState();
  const polling = live && !!updates.error;

  useEffect(() => {
    // One request at a time: the next one is scheduled once the previous answer is in.
    if (!polling || fetching) return;
    const timer = window.setTimeout(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => window.clearTimeout(timer);
  }, [polling, fetching, data, reexecute]);

  return {
    order,
    /** Loaded, but not final: updates are still coming. */
    live,
    /** How updates arrive: pushed, pushed again once the socket is back, or asked for. */
    connection: polling ? ("polling" as const) : socket === "reconnecting" ? ("reconnecting" as const) : ("live" as const),
    fetching: fetching && !data,
    error,
    retry: () => reexecute({ requestPolicy: "network-only" }),
  };
}
