import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { ProductForm, type ProductValues } from "./ProductForm";
import { StockForm } from "./StockForm";

const AdminProduct = graphql(`
  query AdminProduct($id: ID!) {
    product(id: $id) {
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
      }
      inventory {
        onHand
        reserved
        available
        lowStockThreshold
      }
      version
    }
  }
`);

const UpdateProduct = graphql(`
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      id
      name
      description
      price {
        amount
        currency
      }
      category {
        id
        name
      }
      inventory {
        lowStockThreshold
        lowStock
      }
      version
    }
  }
`);

export function EditProductPage() {
  const { id = "" } = useParams();
  const [{ data, error }] = useQuery({ query: AdminProduct, variables: { id }, requestPolicy: "network-only" });
  const [state, update] = useMutation(UpdateProduct);
  const product = data?.product;
  usePageTitle(product ? `Edit ${product.name}` : "Edit product");

  if (error) return <ErrorMessage error={error} />;
  if (!data) return <Loading label="Loading the product" />;
  if (!product) {
    return (
      <section className="page" aria-labelledby="edit-product-title">
        <h1 id="edit-product-title">Product not found</h1>
        <p>
          <Link to="/admin">Back to admin</Link>
        </p>
      </section>
    );
  }

  const initial: ProductValues = {
    sku: product.sku,
    name: product.name,
    description: product.description,
    amount: product.price.amount,
    currency: product.price.currency,
    categoryId: product.category.id,
    initialStock: "0",
    lowStockThreshold: String(product.inventory.lowStockThreshold),
  };
  const onSubmit = (values: ProductValues) =>
    update({
      id,
      input: {
        name: values.name,
        description: values.description,
        price: { amount: values.amount, currency: values.currency },
        categoryId: values.categoryId,
        lowStockThreshold: Number(values.lowStockThreshold),
      },
    });

  return (
    <section className="page" aria-labelledby="edit-product-title">
      <p>
        <Link to="/admin">← Admin</Link> · <Link to={`/catalog/${product.id}`}>View in the catalog</Link>
      </p>
      <h1 id="edit-product-title">Edit {product.name}</h1>
      <p className="muted">SKU {product.sku}</p>
      <ProductForm key={product.id} initial={initial} creating={false} busy={state.fetching} submitLabel="Save product" onSubmit={onSubmit}>
        {state.error && <ErrorMessage error={state.error} />}
        {state.data && !state.error && (
          <p className="success" role="status">
            Saved.
          </p>
        )}
      </ProductForm>
      <StockForm productId={product.id} inventory={product.inventory} />
    </section>
  );
}
