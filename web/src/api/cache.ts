// graphcache: a normalized cache keyed by `__typename` + `id`, Relay pagination for every
// connection (pages are merged into one list), and what each mutation changes.
import type { Cache, CacheExchangeOpts } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { graphql } from "../gql";

/** Types without an `id`: stored inside their parent instead of on their own. */
const EMBEDDED = [
  "Address",
  "Attribute",
  "CartLine",
  "DocumentConnection",
  "DocumentEdge",
  "DocumentShare",
  "EmployeeConnection",
  "EmployeeEdge",
  "Inventory",
  "Money",
  "OrderConnection",
  "OrderEdge",
  "OrderLine",
  "PageInfo",
  "ProductConnection",
  "ProductEdge",
  "Shipment",
  "TimelineEntry",
  "TokenPair",
  "VisibilityAnswer",
  "VisibleEmployees",
];

/** Drops every cached page of these root lists, so that screens showing them fetch again. */
function invalidateLists(cache: Cache, fieldNames: string[]) {
  for (const field of cache.inspectFields("Query")) {
    if (fieldNames.includes(field.fieldName)) cache.invalidate("Query", field.fieldName, field.arguments);
  }
}

const DOCUMENT_LISTS = ["visibleDocuments", "myDocuments"];

/**
 * A deletion pushed by `documentDeleted`: the document is gone from every cached page of the
 * document lists (the pages stay, so a list that shows several pages keeps them), and
 * `document(id:)` answers null and `deletedDocument(id:)` the deletion, as the API now would: an
 * open document page shows who deleted it without asking again.
 */
function forgetDeletedDocument(cache: Cache, id: string) {
  const document = cache.keyOfEntity({ __typename: "Document", id });
  for (const field of cache.inspectFields("Query")) {
    if (!DOCUMENT_LISTS.includes(field.fieldName)) continue;
    const connection = cache.resolve("Query", field.fieldKey);
    if (typeof connection !== "string") continue;
    const edges = cache.resolve(connection, "edges");
    if (!Array.isArray(edges)) continue;
    const kept = edges.filter((edge) => typeof edge !== "string" || cache.resolve(edge, "node") !== document);
    if (kept.length !== edges.length) cache.link(connection, "edges", kept as string[]);
  }
  cache.link("Query", "document", { id }, null);
  cache.link("Query", "deletedDocument", { id }, { __typename: "DeletedDocument", id });
}
const ORDER_LISTS = ["myOrders", "orders"];

/**
 * The signed-in user's one cart. `Cart` has no id, so every Cart the API returns is stored as
 * this entity (the client, and so the cache, is made anew per sign-in); `Query.cart` points at it.
 */
const CART = "Cart:viewer";

/** After a cart mutation: `Query.cart` is the cart it returned (also when no screen asked for it yet). */
function linkCart(cache: Cache) {
  cache.link("Query", "cart", CART);
}

/** After placeOrder: the API emptied the cart when it made the order. */
function emptyCart(cache: Cache) {
  cache.writeFragment(EMPTY_CART, { __typename: "Cart", itemCount: 0, lines: [] });
  linkCart(cache);
}

const EMPTY_CART = graphql(`
  fragment EmptyCart on Cart {
    itemCount
    lines {
      quantity
    }
  }
`);

export const cacheOptions: CacheExchangeOpts = {
  keys: { ...Object.fromEntries(EMBEDDED.map((type) => [type, () => null])), Cart: () => "viewer" },
  resolvers: {
    Query: {
      products: relayPagination(),
      visibleDocuments: relayPagination(),
      myDocuments: relayPagination(),
      myOrders: relayPagination(),
      orders: relayPagination(),
      employees: relayPagination(),
    },
    Employee: {
      documents: relayPagination(),
    },
  },
  updates: {
    Subscription: {
      documentDeleted: (result, _args, cache) => {
        const deleted = result.documentDeleted as { id?: string } | null;
        if (deleted?.id) forgetDeletedDocument(cache, deleted.id);
      },
    },
    Mutation: {
      createDocument: (_result, _args, cache) => invalidateLists(cache, DOCUMENT_LISTS),
      deleteDocument: (_result, args, cache) => {
        cache.invalidate({ __typename: "Document", id: args.id as string });
        invalidateLists(cache, DOCUMENT_LISTS);
      },
      shareDocument: (_result, _args, cache) => invalidateLists(cache, DOCUMENT_LISTS),
      unshareDocument: (_result, _args, cache) => invalidateLists(cache, DOCUMENT_LISTS),
      // A new product, or a new price or category, changes which lists it belongs to.
      createProduct: (_result, _args, cache) => invalidateLists(cache, ["products"]),
      updateProduct: (_result, _args, cache) => invalidateLists(cache, ["products"]),
      // The cart: each mutation returns the whole cart, stored as the one `Cart:viewer`.
      addToCart: (_result, _args, cache) => linkCart(cache),
      setCartQuantity: (_result, _args, cache) => linkCart(cache),
      removeFromCart: (_result, _args, cache) => linkCart(cache),
      clearCart: (_result, _args, cache) => linkCart(cache),
      placeOrder: (_result, _args, cache) => {
        emptyCart(cache);
        invalidateLists(cache, ORDER_LISTS);
      },
      // The order itself comes back with its new status; the filtered lists may have changed.
      cancelOrder: (_result, _args, cache) => invalidateLists(cache, ORDER_LISTS),
      // Grants: the lists of them (a new one belongs there; a revoked one is gone).
      createGrant: (_result, _args, cache) => invalidateLists(cache, ["grants"]),
      revokeGrant: (_result, args, cache) => {
        cache.invalidate({ __typename: "Grant", id: args.id as string });
        invalidateLists(cache, ["grants"]);
      },
    },
  },
};
