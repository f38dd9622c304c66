// The cart in the header, with how many items it holds (kept current by graphcache: every cart
// mutation returns the cart, and placeOrder empties it).
import { NavLink } from "react-router";
import { useQuery } from "urql";
import { CartCount } from "./cart";

export function CartLink() {
  const [{ data }] = useQuery({ query: CartCount });
  const count = data?.cart.itemCount;
  const label = count === undefined ? "Cart" : `Cart, ${count === 1 ? "1 item" : `${count} items`}`;
  return (
    <NavLink to="/cart" className="cart-link" aria-label={label} data-testid="cart-link">
      Cart
      {count !== undefined && (
        <span className="cart-count" data-testid="cart-count" aria-hidden="true">
          {count}
        </span>
      )}
    </NavLink>
  );
}
