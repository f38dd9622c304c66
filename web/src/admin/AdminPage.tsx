// Catalog administration (scope `catalog:write`): low-stock alerts as they happen, create a
// product, or find one to edit its details and stock.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatMoney } from "../ui/format";
import { usePageTitle } from "../ui/usePageTitle";
import { LowStockAlerts } from "./LowStockAlerts";
import { EMPTY_PRODUCT, ProductForm, type ProductValues } from "./ProductForm";

const CreateProduct = graphql(`
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      id
      name
    }
  }
`);

const FindProducts = graphql(`
  query FindProducts($search: String!) {
    products(first: 10, filter: { search: $search }) {
      edges {
        node {
          id
          sku
          name
          price {
            amount
            currency
          }
          inventory {
            available
          }
        }
      }
    }
  }
`);

export function AdminPage() {
  usePageTitle("Admin");
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  const [found] = useQuery({ query: FindProducts, variables: { search }, pause: !search });
  const [created, create] = useMutation(CreateProduct);
  const navigate = useNavigate();

  const onFind = (event: FormEvent) => {
    event.preventDefault();
    setSearch(text.trim());
  };
  const onCreate = async (values: ProductValues) => {
    const result = await create({
      input: {
        sku: values.sku,
        name: values.name,
        description: values.description,
        price: { amount: values.amount, currency: values.currency },
        categoryId: values.categoryId,
        initialStock: Number(values.initialStock),
        lowStockThreshold: Number(values.lowStockThreshold),
      },
    });
    if (result.data) navigate(`/admin/products/${result.data.createProduct.id}`);
  };
  const products = found.data?.products.edges.map((edge) => edge.node) ?? [];

  return (
    <section className="page" aria-labelledby="admin-title">
      <h1 id="admin-title">Catalog admin</h1>
      <LowStockAlerts />
      <div className="columns">
        <section aria-labelledby="find-title">
          <h2 id="find-title">Edit a product</h2>
          <form role="search" className="filters" onSubmit={onFind} aria-label="Find a product to edit">
            <div className="field grow">
              <label htmlFor="admin-search">Name or SKU</label>
              <input id="admin-search" type="search" value={text} onChange={(e) => setText(e.target.value)} />
            </div>
            <button type="submit" className="button secondary">
              Find
            </button>
          </form>
          {found.error && <ErrorMessage error={found.error} />}
          {search && found.data && products.length === 0 && <Empty>No product matches “{search}”.</Empty>}
          <ul className="found">
            {products.map((product) => (
              <li key={product.id}>
                <Link to={`/admin/products/${product.id}`}>{product.name}</Link>
                <span className="muted">
                  {product.sku} · {formatMoney(product.price)} · {product.inventory.available} available
                </span>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="create-title">
          <h2 id="create-title">New product</h2>
          <ProductForm initial={EMPTY_PRODUCT} creating busy={created.fetching} submitLabel="Create product" onSubmit={onCreate}>
            {created.error && <ErrorMessage error={created.error} />}
          </ProductForm>
        </section>
      </div>
    </section>
  );
}
