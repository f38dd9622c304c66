// The GraphQL client of the app: graphcache, then the bearer token (refreshed before it expires
// and once more when the gateway calls it invalid), then fetch to the gateway's /graphql for
// queries and mutations, and its WebSocket (graphql-ws, see ./live) for subscriptions.
import { Client, fetchExchange, subscriptionExchange } from "urql";
import { cacheExchange } from "@urql/exchange-graphcache";
import { authExchange } from "@urql/exchange-auth";
import { cacheOptions } from "./cache";
import { getSession, refresh } from "../auth/session";
import { createLiveSocket, EXPIRY_MARGIN_MS, setLiveSocket } from "./live";

/** A client with an empty cache and its own socket: the app makes one per sign-in. */
export function createClient(): Client {
  const socket = createLiveSocket();
  const client = new Client({
    url: "/graphql",
    exchanges: [
      cacheExchange(cacheOptions),
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const session = getSession();
          if (!session) return operation;
          return utils.appendHeaders(operation, { Authorization: `Bearer ${session.accessToken}` });
        },
        willAuthError() {
          const session = getSession();
          return !!session && session.expiresAt - Date.now() < EXPIRY_MARGIN_MS;
        },
        didAuthError(error) {
          return !!getSession() && error.graphQLErrors.some((e) => e.extensions?.code === "INVALID_TOKEN");
        },
        async refreshAuth() {
          await refresh();
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const operation = { ...request, query: request.query ?? "" };
          return {
            subscribe: (sink) => ({ unsubscribe: socket.subscribe(operation, sink) }),
          };
        },
      }),
    ],
  });
  setLiveSocket(client, socket);
  return client;
}
