// The products matching the filters, a page at a time: "Show more" asks for the next page
// after the last cursor and graphcache's relayPagination appends it to the list.
import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { ProductFilter, ProductSort } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { ProductCard } from "./ProductCard";

const PAGE_SIZE = 24;

const Products = graphql(`
  query Products($first: Int!, $after: String, $filter: ProductFilter, $sort: ProductSort) {
    products(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      edges {
        cursor
        node {
          id
          name
          sku
          price {
            amount
            currency
          }
          category {
            id
            name
          }
          inventory {
            available
            lowStock
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

/** Mount with a `key` per filter and sort, so that a new search starts from its first page. */
export function ProductResults({ filter, sort }: { filter: ProductFilter; sort: ProductSort }) {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: Products,
    variables: { first: PAGE_SIZE, after, filter, sort },
  });
  const products = data?.products;

  if (error && !products) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!products) return <Loading label="Loading products" />;

  return (
    <section aria-labelledby="results-title" aria-busy={fetching}>
      <h2 id="results-title" className="results-count" aria-live="polite">
        {products.totalCount === 1 ? "1 product" : `${products.totalCount.toLocaleString()} products`}
      </h2>
      {products.edges.length === 0 ? (
        <Empty>No products match. Try another search, category or price range.</Empty>
      ) : (
        <ul className="product-grid">
          {products.edges.map(({ node }) => (
            <li key={node.id}>
              <ProductCard product={node} />
            </li>
          ))}
        </ul>
      )}
      {error && <ErrorMessage error={error} />}
      {products.pageInfo.hasNextPage && (
        <div className="more">
          {fetching ? (
            <Loading label="Loading more products" />
          ) : (
            <button type="button" className="button secondary" onClick={() => setAfter(products.pageInfo.endCursor ?? null)}>
              Show more products
            </button>
          )}
        </div>
      )}
    </section>
  );
}
