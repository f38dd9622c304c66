// Adjusting stock on hand: a positive or negative change and an optional reason.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";

const AdjustStock = graphql(`
  mutation AdjustStock($productId: ID!, $delta: Int!, $reason: String) {
    adjustStock(productId: $productId, delta: $delta, reason: $reason) {
      id
      version
      inventory {
        onHand
        reserved
        available
        lowStock
        lowStockThreshold
      }
    }
  }
`);

export function StockForm({ productId, inventory }: { productId: string; inventory: { onHand: number; reserved: number; available: number } }) {
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  const [state, adjust] = useMutation(AdjustStock);
  const [done, setDone] = useState("");

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setDone("");
    const result = await adjust({ productId, delta: Number(delta), reason: reason.trim() || null });
    if (result.data) {
      setDone(`Stock on hand is now ${result.data.adjustStock.inventory.onHand}.`);
      setDelta("");
      setReason("");
    }
  };

  return (
    <form className="card stack" onSubmit={onSubmit} aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      <p>
        On hand {inventory.onHand}, reserved {inventory.reserved}, available {inventory.available}.
      </p>
      <div className="row">
        <div className="field">
          <label htmlFor="stock-delta">Change (negative to remove)</label>
          <input
            id="stock-delta"
            type="number"
            step="1"
            required
            value={delta}
            onChange={(e) => setDelta(e.target.value)}
          />
        </div>
        <div className="field grow">
          <label htmlFor="stock-reason">Reason</label>
          <input id="stock-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
      </div>
      {state.error && <ErrorMessage error={state.error} />}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={state.fetching || !delta || Number(delta) === 0}>
          Adjust stock
        </button>
      </div>
    </form>
  );
}
