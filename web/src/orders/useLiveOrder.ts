// One order, kept current until it reaches a final status (COMPLETED, CANCELLED, FAILED) by the
// `orderUpdated` subscription: each update carries the whole order (`OrderFields`), which
// graphcache stores as the same `Order` the page's query reads, so the page follows without
// asking again. After each (re)connection of the socket the order is fetched once more
// (`useCatchUp`), since a subscription delivers only what happens after it is in place.
import { useQuery, useSubscription } from "urql";
import { useCatchUp, useSocketState } from "../api/live";
import { graphql } from "../gql";
import { OrderDetail } from "./order";
import { isTerminal } from "./words";

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

  return {
    order,
    /** Loaded, but not final: updates are still coming. */
    live,
    /** Whether updates arrive now, or the socket is down and being opened again. */
    connection: socket === "reconnecting" ? ("reconnecting" as const) : ("live" as const),
    fetching: fetching && !data,
    error: error ?? (live ? updates.error : undefined),
    retry: () => reexecute({ requestPolicy: "network-only" }),
  };
}
