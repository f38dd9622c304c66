// The cart: its lines (name, price and stock from the catalog, through the gateway), quantities
// to change, lines to remove, the whole cart to empty, the totals, and the way to checkout.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import type { CartContentFragment } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatMoney } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { CartQuery, ClearCart, RemoveFromCart, SetCartQuantity } from "./cart";
import { totals } from "./money";

type Line = CartContentFragment["lines"][number];

export function CartPage() {
  usePageTitle("Cart");
  // Stock may have moved since the cart was last fetched: show the cached cart, then the fresh one.
  const [{ data, error }, reexecute] = useQuery({ query: CartQuery, requestPolicy: "cache-and-network" });
  const [clearState, clear] = useMutation(ClearCart);
  const [confirming, setConfirming] = useState(false);
  const cart = data?.cart;

  if (error && !cart) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!cart) return <Loading label="Loading your cart" />;

  const sums = totals(cart.lines.map((l) => ({ price: l.product.price, quantity: l.quantity })));

  return (
    <section className="page" aria-labelledby="cart-title">
      <div className="page-head">
        <h1 id="cart-title">Your cart</h1>
        <Link to="/orders">Your orders</Link>
      </div>
      {cart.lines.length === 0 ? (
        <>
          <Empty>Your cart is empty.</Empty>
          <p>
            <Link className="button" to="/catalog">
              Browse the catalog
            </Link>
          </p>
        </>
      ) : (
        <>
          <ul className="cart-lines" aria-label="Products in your cart">
            {cart.lines.map((line) => (
              <CartLineRow key={line.product.id} line={line} />
            ))}
          </ul>
          <section className="card cart-summary" aria-labelledby="cart-total-title">
            <h2 id="cart-total-title">Total</h2>
            <p data-testid="cart-items">{cart.itemCount === 1 ? "1 item" : `${cart.itemCount} items`}</p>
            {sums.map((sum) => (
              <p key={sum.currency} className="price large" data-testid="cart-total">
                {formatMoney(sum)}
              </p>
            ))}
            {sums.length > 1 && (
              <p className="notice">
                Your cart has prices in more than one currency; one order can only be paid in one.
              </p>
            )}
            <div className="actions">
              <Link className="button" to="/checkout">
                Check out
              </Link>
              {confirming ? (
                <div className="confirm" role="group" aria-label="Confirm emptying the cart">
                  <p>Remove everything from your cart?</p>
                  <button
                    type="button"
                    className="button danger"
                    disabled={clearState.fetching}
                    autoFocus
                    onClick={async () => {
                      const result = await clear({});
                      if (!result.error) setConfirming(false);
                    }}
                  >
                    Yes, empty it
                  </button>
                  <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
                    Keep it
                  </button>
                </div>
              ) : (
                <button type="button" className="button secondary" onClick={() => setConfirming(true)}>
                  Empty cart
                </button>
              )}
            </div>
            {clearState.error && <ErrorMessage error={clearState.error} />}
          </section>
        </>
      )}
    </section>
  );
}

function CartLineRow({ line }: { line: Line }) {
  const { product } = line;
  const [quantity, setQuantity] = useState(String(line.quantity));
  const [setState, setCartQuantity] = useMutation(SetCartQuantity);
  const [removeState, remove] = useMutation(RemoveFromCart);
  // A quantity changed elsewhere (another tab, "Add to cart") shows here too.
  useEffect(() => setQuantity(String(line.quantity)), [line.quantity]);

  const units = Math.floor(Number(quantity));
  const valid = quantity !== "" && Number.isFinite(units) && units >= 1;
  const inputId = `quantity-${product.id}`;
  const lineTotal = totals([{ price: product.price, quantity: line.quantity }])[0];

  const onUpdate = (event: FormEvent) => {
    event.preventDefault();
    if (!valid || units === line.quantity) return;
    void setCartQuantity({ productId: product.id, quantity: units });
  };

  return (
    <li className="cart-line" aria-label={product.name}>
      <div className="cart-line-info">
        <Link className="title" to={`/catalog/${product.id}`}>
          {product.name}
        </Link>
        <span className="muted">
          {formatMoney(product.price)} each · {product.inventory.available > 0 ? `${product.inventory.available} available` : "out of stock"}
        </span>
      </div>
      <form className="cart-line-quantity" onSubmit={onUpdate} aria-label={`Quantity of ${product.name}`}>
        <label htmlFor={inputId}>Quantity</label>
        <input
          id={inputId}
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          required
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
        />
        <button type="submit" className="button secondary small" disabled={setState.fetching || !valid}>
          {setState.fetching ? "Updating…" : "Update"}
        </button>
      </form>
      <span className="price line-total" data-testid="line-total">
        {lineTotal ? formatMoney(lineTotal) : ""}
      </span>
      <button
        type="button"
        className="button secondary small"
        disabled={removeState.fetching}
        onClick={() => void remove({ productId: product.id })}
        aria-label={`Remove ${product.name}`}
      >
        Remove
      </button>
      {setState.error && <ErrorMessage error={setState.error} />}
      {removeState.error && <ErrorMessage error={removeState.error} />}
    </li>
  );
}
