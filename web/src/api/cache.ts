// graphcache: a normalized cache keyed by `__typename` + `id`, Relay pagination for every
// connection (pages are merged into one list), and what each mutation changes.
import type { Cache, CacheExchangeOpts } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";

/** Types without an `id`: stored inside their parent instead of on their own. */
const EMBEDDED = [
  "Attribute",
  "DocumentConnection",
  "DocumentEdge",
  "DocumentShare",
  "EmployeeConnection",
  "EmployeeEdge",
  "Inventory",
  "Money",
  "PageInfo",
  "ProductConnection",
  "ProductEdge",
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

export const cacheOptions: CacheExchangeOpts = {
  keys: Object.fromEntries(EMBEDDED.map((type) => [type, () => null])),
  resolvers: {
    Query: {
      products: relayPagination(),
      visibleDocuments: relayPagination(),
      myDocuments: relayPagination(),
      employees: relayPagination(),
    },
    Employee: {
      documents: relayPagination(),
    },
  },
  updates: {
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
    },
  },
};
