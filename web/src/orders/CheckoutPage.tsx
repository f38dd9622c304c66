// Checkout: the shipping address (checked as the API checks it) and the cart once more, then
// `placeOrder`. One idempotency key per checkout attempt, kept (in sessionStorage) across
// retries and reloads until an order is placed: a double click, a retry after a lost answer or
// a reload send the same key, and the API answers with the one order it placed.
import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { hasCode } from "../api/errors";
import { useViewer } from "../auth/useViewer";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatMoney } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { CartQuery } from "./cart";
import { totals } from "./money";
import { PlaceOrder } from "./order";

const KEY_STORAGE = "braid.checkout.idempotencyKey";

function newKey(): string {
  const key = `checkout-${crypto.randomUUID()}`;
  sessionStorage.setItem(KEY_STORAGE, key);
  return key;
}

/**
 * A W3C traceparent for the click that places the order: a new trace, marked sampled, which
 * the gateway, the services and the event consumers continue, so that the checkout is one
 * trace from the click to the shipment (when the gateway exports traces).
 */
function clickTrace(): string {
  const hex = (bytes: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `00-${hex(16)}-${hex(8)}-01`;
}

/** This attempt's key: the stored one while no order was placed with it. */
function currentKey(): string {
  return sessionStorage.getItem(KEY_STORAGE) ?? newKey();
}

type Address = { name: string; line1: string; line2: string; city: string; postalCode: string; country: string };
type Field = keyof Address;

const FIELDS: { field: Field; label: string; autoComplete: string; max: number; required: boolean; hint?: string }[] = [
  { field: "name", label: "Full name", autoComplete: "name", max: 200, required: true },
  { field: "line1", label: "Address", autoComplete: "address-line1", max: 200, required: true },
  { field: "line2", label: "Address line 2 (optional)", autoComplete: "address-line2", max: 200, required: false },
  { field: "city", label: "City", autoComplete: "address-level2", max: 100, required: true },
  { field: "postalCode", label: "Postal code", autoComplete: "postal-code", max: 20, required: true },
  {
    field: "country",
    label: "Country code",
    autoComplete: "country",
    max: 2,
    required: true,
    hint: "Two letters, for example DE or US.",
  },
];

/** What the API would refuse, field by field (it trims, requires, limits lengths, wants ISO country codes). */
function validate(address: Address): Partial<Record<Field, string>> {
  const problems: Partial<Record<Field, string>> = {};
  for (const { field, label, max, required } of FIELDS) {
    const value = address[field].trim();
    if (required && !value) problems[field] = `Enter the ${label.toLowerCase()}.`;
    else if (value.length > max) problems[field] = `At most ${max} characters.`;
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(value)) problems[field] = "Remove the special characters.";
  }
  if (!problems.country && !/^[A-Z]{2}$/.test(address.country.trim().toUpperCase())) {
    problems.country = "Enter a two-letter country code, for example DE.";
  }
  return problems;
}

export function CheckoutPage() {
  usePageTitle("Checkout");
  const { viewer } = useViewer();
  const [{ data, error }, reexecute] = useQuery({ query: CartQuery, requestPolicy: "cache-and-network" });
  const [placeState, placeOrder] = useMutation(PlaceOrder);
  const navigate = useNavigate();
  const [address, setAddress] = useState<Address>({ name: "", line1: "", line2: "", city: "", postalCode: "", country: "" });
  // The name starts as the viewer's own, until the user edits it.
  const [nameEdited, setNameEdited] = useState(false);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const placing = useRef(false);
  const formRef = useRef<HTMLFormElement>(null);
  const cart = data?.cart;

  if (error && !cart) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!cart) return <Loading label="Loading your cart" />;

  const name = nameEdited ? address.name : (viewer?.name ?? "");
  const filled = { ...address, name };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    // The button is disabled while placing; this also stops a second submit in the same tick.
    if (placing.current) return;
    const found = validate(filled);
    setProblems(found);
    const first = FIELDS.find((f) => found[f.field]);
    if (first) {
      formRef.current?.querySelector<HTMLInputElement>(`#checkout-${first.field}`)?.focus();
      return;
    }
    placing.current = true;
    try {
      const result = await placeOrder({
        input: {
          idempotencyKey: currentKey(),
          shippingAddress: {
            name: filled.name.trim(),
            line1: filled.line1.trim(),
            line2: filled.line2.trim() || null,
            city: filled.city.trim(),
            postalCode: filled.postalCode.trim(),
            country: filled.country.trim().toUpperCase(),
          },
        },
      }, { fetchOptions: { headers: { traceparent: clickTrace() } } });
      const order = result.data?.placeOrder;
      if (order) {
        sessionStorage.removeItem(KEY_STORAGE);
        navigate(`/orders/${order.id}`, { replace: true });
      } else if (hasCode(result.error, "IDEMPOTENCY_KEY_REUSED")) {
        // The key belongs to another order (placed, then the cart changed): the next try is a new attempt.
        newKey();
      }
    } finally {
      placing.current = false;
    }
  };

  const sums = totals(cart.lines.map((l) => ({ price: l.product.price, quantity: l.quantity })));

  if (cart.lines.length === 0 && !placeState.fetching && !placeState.data) {
    return (
      <section className="page" aria-labelledby="checkout-title">
        <h1 id="checkout-title">Checkout</h1>
        <Empty>Your cart is empty, so there is nothing to check out.</Empty>
        <p>
          <Link to="/catalog">Browse the catalog</Link> · <Link to="/orders">Your orders</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="page" aria-labelledby="checkout-title">
      <p>
        <Link to="/cart">← Back to the cart</Link>
      </p>
      <h1 id="checkout-title">Checkout</h1>
      <div className="columns checkout">
        <form ref={formRef} className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="address-title">
          <h2 id="address-title">Shipping address</h2>
          {FIELDS.map(({ field, label, autoComplete, max, required, hint }) => {
            const id = `checkout-${field}`;
            const problem = problems[field];
            const described = [hint ? `${id}-hint` : "", problem ? `${id}-problem` : ""].filter(Boolean).join(" ");
            return (
              <div className="field" key={field}>
                <label htmlFor={id}>{label}</label>
                {hint && (
                  <span id={`${id}-hint`} className="muted hint">
                    {hint}
                  </span>
                )}
                <input
                  id={id}
                  name={field}
                  autoComplete={autoComplete}
                  required={required}
                  maxLength={field === "country" ? 2 : max}
                  value={field === "name" ? name : address[field]}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby={described || undefined}
                  onChange={(e) => {
                    if (field === "name") setNameEdited(true);
                    setAddress({ ...filled, [field]: field === "country" ? e.target.value.toUpperCase() : e.target.value });
                  }}
                />
                {problem && (
                  <span id={`${id}-problem`} className="field-problem">
                    {problem}
                  </span>
                )}
              </div>
            );
          })}
          {placeState.error && <ErrorMessage error={placeState.error} />}
          <div className="actions">
            <button type="submit" className="button" disabled={placeState.fetching}>
              {placeState.fetching ? "Placing your order…" : "Place order"}
            </button>
          </div>
        </form>
        <section className="card" aria-labelledby="summary-title">
          <h2 id="summary-title">Your order</h2>
          <ul className="summary-lines">
            {cart.lines.map((line) => (
              <li key={line.product.id}>
                <span>
                  {line.quantity} × {line.product.name}
                </span>
                <span>{formatMoney(totals([{ price: line.product.price, quantity: line.quantity }])[0]!)}</span>
              </li>
            ))}
          </ul>
          {sums.map((sum) => (
            <p key={sum.currency} className="price large" data-testid="checkout-total">
              Total {formatMoney(sum)}
            </p>
          ))}
        </section>
      </div>
    </section>
  );
}
