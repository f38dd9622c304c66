// "Add to cart" on the product page (with a quantity) and on product cards (one unit). Signed
// out, it offers to sign in and come back; out of stock, it says so instead.
import { useId, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { useMutation } from "urql";
import { signInPath } from "../auth/redirect";
import { useSession } from "../auth/useSession";
import { ErrorMessage } from "../ui/ErrorMessage";
import { AddToCart as AddToCartMutation } from "./cart";

type Props = {
  product: { id: string; name: string; inventory: { available: number } };
  /** With a quantity field (the product page), or one unit per click (cards). */
  withQuantity?: boolean;
};

export function AddToCart({ product, withQuantity = false }: Props) {
  const session = useSession();
  const location = useLocation();
  const [state, add] = useMutation(AddToCartMutation);
  const [quantity, setQuantity] = useState("1");
  const [added, setAdded] = useState<number | null>(null);
  const id = useId();

  if (!session) {
    if (!withQuantity) return null;
    return (
      <p>
        <Link className="button secondary" to={signInPath(location.pathname + location.search)}>
          Sign in to buy
        </Link>
      </p>
    );
  }
  if (product.inventory.available <= 0) return null;

  const units = Math.floor(Number(quantity));
  const valid = Number.isFinite(units) && units >= 1 && units <= product.inventory.available;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!valid || state.fetching) return;
    setAdded(null);
    const result = await add({ productId: product.id, quantity: units });
    if (!result.error) setAdded(result.data?.addToCart.itemCount ?? null);
  };

  return (
    <form className={withQuantity ? "add-to-cart row" : "add-to-cart"} onSubmit={onSubmit}>
      {withQuantity && (
        <div className="field quantity">
          <label htmlFor={`${id}-quantity`}>Quantity</label>
          <input
            id={`${id}-quantity`}
            type="number"
            inputMode="numeric"
            min={1}
            max={product.inventory.available}
            step={1}
            required
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
          />
        </div>
      )}
      {withQuantity && units > product.inventory.available && (
        <span className="field-problem" role="alert">
          Only {product.inventory.available} available.
        </span>
      )}
      <button
        type="submit"
        className={withQuantity ? "button" : "button secondary small"}
        disabled={state.fetching || !valid}
        aria-label={withQuantity ? undefined : `Add to cart: ${product.name}`}
      >
        {state.fetching ? "Adding…" : "Add to cart"}
      </button>
      <span role="status" className="added">
        {added !== null && !state.error && (
          <>
            Added. <Link to="/cart">View cart ({added})</Link>
          </>
        )}
      </span>
      {state.error && <ErrorMessage error={state.error} />}
    </form>
  );
}
