// The GraphQL client of the app: graphcache, then the bearer token (refreshed before it expires
// and once more when the gateway calls it invalid), then fetch to the gateway's /graphql.
import { Client, fetchExchange } from "urql";
import { cacheExchange } from "@urql/exchange-graphcache";
import { authExchange } from "@urql/exchange-auth";
import { cacheOptions } from "./cache";
import { getSession, refresh } from "../auth/session";

/** Refresh before sending when the access token has less than this left. */
const EXPIRY_MARGIN_MS = 15_000;

/** A client with an empty cache: the app makes one per sign-in. */
export function createClient(): Client {
  return new Client({
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
    ],
  });
}
