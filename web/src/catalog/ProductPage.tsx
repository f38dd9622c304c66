// One product: details, price and availability, kept current while the page is open by the
// productChanged (name, price, text, category) and stockChanged (inventory) subscriptions, whose
// answers graphcache stores on the same `Product` the page reads.
import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { useQuery, useSubscription } from "urql";
import { useCatchUp, useReopenWhenLagged } from "../api/live";
import { useViewer } from "../auth/useViewer";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate, formatMoney } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { AddToCart } from "../orders/AddToCart";
import { Availability } from "./Availability";

export const ProductDetailFields = graphql(`
  fragment ProductDetailFields on Product {
    id
    sku
    name
    description
    price {
      amount
      currency
    }
    category {
      id
      slug
      name
    }
    attributes {
      name
      value
    }
    updatedAt
  }
`);

export const ProductStock = graphql(`
  fragment ProductStock on Product {
    id
    inventory {
      available
      onHand
      reserved
      lowStock
      lowStockThreshold
    }
  }
`);

const ProductDetail = graphql(`
  query ProductDetail($id: ID!) {
    product(id: $id) {
      ...ProductDetailFields
      ...ProductStock
    }
  }
`);

const ProductChanged = graphql(`
  subscription ProductChanged($ids: [ID!]!) {
    productChanged(ids: $ids) {
      ...ProductDetailFields
    }
  }
`);

const StockChanged = graphql(`
  subscription StockChanged($ids: [ID!]!) {
    stockChanged(ids: $ids) {
      ...ProductStock
    }
  }
`);

export function ProductPage() {
  const { id = "" } = useParams();
  // Stock moves with every order: show the cached product, then the fresh one.
  const [{ data, error }, reexecute] = useQuery({
    query: ProductDetail,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const { hasScope } = useViewer();
  const product = data?.product;
  const watching = !!product;
  const [changed, reopenChanged] = useSubscription({ query: ProductChanged, variables: { ids: [id] }, pause: !watching });
  const [stock, reopenStock] = useSubscription({ query: StockChanged, variables: { ids: [id] }, pause: !watching });
  const fetchAgain = () => reexecute({ requestPolicy: "network-only" });
  useCatchUp(fetchAgain, watching);
  useReopenWhenLagged(changed.error, reopenChanged, fetchAgain);
  useReopenWhenLagged(stock.error, reopenStock, fetchAgain);
  // productChanged answers null once the product is deleted: ask again, to say so.
  const deleted = changed.data !== undefined && changed.data.productChanged === null;
  useEffect(() => {
    if (deleted) reexecute({ requestPolicy: "network-only" });
  }, [deleted, reexecute]);
  usePageTitle(product?.name ?? "Product");

  if (error) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!data) return <Loading label="Loading the product" />;
  if (!product) {
    return (
      <section className="page" aria-labelledby="product-title">
        <h1 id="product-title">Product not found</h1>
        <p>
          There is no product with this id. <Link to="/catalog">Back to the catalog</Link>
        </p>
      </section>
    );
  }

  const facts: [string, string][] = [
    ["SKU", product.sku],
    ["Available", String(product.inventory.available)],
    ...product.attributes.map((a): [string, string] => [a.name, a.value]),
    ["Updated", formatDate(product.updatedAt)],
  ];

  return (
    <article className="page product" aria-labelledby="product-title">
      <p>
        <Link to={`/catalog?category=${encodeURIComponent(product.category.slug)}`}>← {product.category.name}</Link>
      </p>
      <h1 id="product-title">{product.name}</h1>
      <p className="price large">{formatMoney(product.price)}</p>
      <Availability inventory={product.inventory} />
      <AddToCart product={product} withQuantity />
      <p className="description">{product.description}</p>
      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {hasScope("catalog:write") && (
        <p>
          <Link className="button secondary" to={`/admin/products/${product.id}`}>
            Edit product or stock
          </Link>
        </p>
      )}
    </article>
  );
}
