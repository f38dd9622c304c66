import { Link } from "react-router";
import type { ProductsQuery } from "../gql/graphql";
import { formatMoney } from "../ui/format";
import { AddToCart } from "../orders/AddToCart";
import { Availability } from "./Availability";

type Product = ProductsQuery["products"]["edges"][number]["node"];

export function ProductCard({ product }: { product: Product }) {
  return (
    <article className="card product-card">
      <h2>
        <Link to={`/catalog/${product.id}`}>{product.name}</Link>
      </h2>
      <p className="muted">{product.category.name}</p>
      <p className="price">{formatMoney(product.price)}</p>
      <Availability inventory={product.inventory} />
      <AddToCart product={product} />
    </article>
  );
}
