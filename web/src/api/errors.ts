// API errors in words a user understands, chosen by `extensions.code` (the gateway's and the
// subgraphs' stable codes), never by the message text.
import type { CombinedError } from "urql";

const WORDS: Record<string, string> = {
  UNAUTHENTICATED: "You need to be signed in to do that.",
  INVALID_TOKEN: "Your session has expired. Sign in again to continue.",
  INVALID_REFRESH_TOKEN: "Your session has ended. Sign in again to continue.",
  FORBIDDEN: "You don't have permission to do that.",
  INVALID_CREDENTIALS: "That email and password don't match an account.",
  TOO_MANY_ATTEMPTS: "Too many failed sign-ins. Wait a little, then try again.",
  CONFLICT: "Someone else changed this while you were editing it.",
  NOT_FOUND: "This no longer exists, or you can't see it.",
  INVALID_CURSOR: "The list changed while you were paging through it. Reload the page.",
  PAYLOAD_TOO_LARGE: "That is too large to save.",
  REQUEST_TIMEOUT: "The server took too long to answer. Try again.",
  SUBGRAPH_TIMEOUT: "A service took too long to answer. Try again in a moment.",
  SUBGRAPH_REQUEST_FAILED: "A service is not answering right now. Try again in a moment.",
  SUBGRAPH_INVALID_RESPONSE: "A service gave an answer we could not read. Try again in a moment.",
  OUT_OF_STOCK: "There are not enough of this product in stock. Choose fewer, or try again later.",
  PRODUCT_NOT_FOUND: "A product in your cart is no longer sold. Remove it from your cart and try again.",
  EMPTY_CART: "Your cart is empty. Add something before checking out.",
  IDEMPOTENCY_KEY_REUSED: "Your cart changed after this checkout was sent. Review your cart, then place the order again.",
  ORDER_NOT_CANCELLABLE: "This order can no longer be cancelled: it has already been handed to the carrier, or it is finished.",
  MIXED_CURRENCIES: "Your cart has prices in more than one currency, and one order can only be paid in one. Remove the products in the other currency.",
  CATALOG_UNAVAILABLE: "We can't check prices and stock right now. Try again in a moment.",
  SUBSCRIPTION_UNAVAILABLE: "Live updates are not available right now.",
  SUBSCRIBER_LAGGED: "Live updates fell behind and stopped. Reload the page to see the latest.",
  TOO_MANY_OPERATIONS: "Too many live updates are open in this tab. Close some pages, then reload this one.",
  TOO_MANY_CONNECTIONS: "The server is busy. Try again in a moment.",
  BAD_REQUEST: "The request was not valid. Reload the page and try again.",
  INTERNAL_SERVER_ERROR: "Something went wrong on our side. Try again in a moment.",
};

/** Codes whose server message says what to fix in the input (it is written for the user). */
const SHOW_MESSAGE = new Set(["BAD_USER_INPUT"]);

/** The `extensions.code` of the first GraphQL error that has one. */
export function errorCode(error: CombinedError | undefined): string | undefined {
  for (const e of error?.graphQLErrors ?? []) {
    const code = e.extensions?.code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

export function hasCode(error: CombinedError | undefined, code: string): boolean {
  return (error?.graphQLErrors ?? []).some((e) => e.extensions?.code === code);
}

/** One sentence for the user. */
export function describeError(error: CombinedError): string {
  if (error.networkError && error.graphQLErrors.length === 0) {
    return "Can't reach the server. Check your connection and try again.";
  }
  const code = errorCode(error);
  if (code && SHOW_MESSAGE.has(code)) {
    return `Please check what you entered: ${error.graphQLErrors[0]?.message ?? "a value is not valid"}.`;
  }
  if (code && WORDS[code]) return WORDS[code];
  return code ? `Something went wrong (${code}). Try again.` : "Something went wrong. Try again.";
}
