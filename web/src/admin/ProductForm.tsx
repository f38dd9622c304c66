// The fields of a product, for creating one (with SKU and initial stock) or editing one.
import { useState, type FormEvent, type ReactNode } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";

const CategoryOptions = graphql(`
  query CategoryOptions {
    categories {
      id
      name
    }
  }
`);

export interface ProductValues {
  sku: string;
  name: string;
  description: string;
  amount: string;
  currency: string;
  categoryId: string;
  initialStock: string;
  lowStockThreshold: string;
}

export const EMPTY_PRODUCT: ProductValues = {
  sku: "",
  name: "",
  description: "",
  amount: "",
  currency: "EUR",
  categoryId: "",
  initialStock: "0",
  lowStockThreshold: "10",
};

export function ProductForm({
  initial,
  creating,
  busy,
  submitLabel,
  onSubmit,
  children,
}: {
  initial: ProductValues;
  creating: boolean;
  busy: boolean;
  submitLabel: string;
  onSubmit: (values: ProductValues) => void;
  children?: ReactNode;
}) {
  const [values, setValues] = useState(initial);
  const [{ data }] = useQuery({ query: CategoryOptions });
  const set = (field: keyof ProductValues) => (event: { target: { value: string } }) =>
    setValues({ ...values, [field]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  const id = (field: string) => `product-${field}`;

  return (
    <form className="card stack" onSubmit={submit} aria-label={creating ? "New product" : "Product"}>
      {creating && (
        <>
          <label htmlFor={id("sku")}>SKU</label>
          <input id={id("sku")} required value={values.sku} onChange={set("sku")} />
        </>
      )}
      <label htmlFor={id("name")}>Name</label>
      <input id={id("name")} required value={values.name} onChange={set("name")} />
      <label htmlFor={id("description")}>Description</label>
      <textarea id={id("description")} rows={4} value={values.description} onChange={set("description")} />
      <div className="row">
        <div className="field grow">
          <label htmlFor={id("amount")}>Price</label>
          <input
            id={id("amount")}
            required
            inputMode="decimal"
            pattern="\d+(\.\d{1,2})?"
            title="An amount such as 12.99"
            value={values.amount}
            onChange={set("amount")}
          />
        </div>
        <div className="field">
          <label htmlFor={id("currency")}>Currency</label>
          <input
            id={id("currency")}
            required
            pattern="[A-Z]{3}"
            title="A three-letter code such as EUR"
            size={4}
            value={values.currency}
            onChange={set("currency")}
          />
        </div>
      </div>
      <label htmlFor={id("category")}>Category</label>
      <select id={id("category")} required value={values.categoryId} onChange={set("categoryId")}>
        <option value="">Choose a category</option>
        {data?.categories.map((category) => (
          <option key={category.id} value={category.id}>
            {category.name}
          </option>
        ))}
      </select>
      <div className="row">
        {creating && (
          <div className="field grow">
            <label htmlFor={id("stock")}>Initial stock</label>
            <input
              id={id("stock")}
              type="number"
              min="0"
              step="1"
              required
              value={values.initialStock}
              onChange={set("initialStock")}
            />
          </div>
        )}
        <div className="field grow">
          <label htmlFor={id("threshold")}>Low-stock threshold</label>
          <input
            id={id("threshold")}
            type="number"
            min="0"
            step="1"
            required
            value={values.lowStockThreshold}
            onChange={set("lowStockThreshold")}
          />
        </div>
      </div>
      {children}
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
