// Order statuses, timeline steps and shipment states in words, and which statuses are final.
import type { OrderStatus, Outcome, ShipmentStatus } from "../gql/graphql";

export const STATUSES: OrderStatus[] = ["PENDING", "STOCK_RESERVED", "PAID", "SHIPPING", "COMPLETED", "CANCELLED", "FAILED"];

export const STATUS_WORDS: Record<OrderStatus, string> = {
  PENDING: "Placed",
  STOCK_RESERVED: "Stock reserved",
  PAID: "Paid",
  SHIPPING: "Shipping",
  COMPLETED: "Completed",
  CANCELLED: "Cancelled",
  FAILED: "Failed",
};

/** After these, an order does not change any more (polling, later the subscription, ends). */
export const TERMINAL: ReadonlySet<string> = new Set<OrderStatus>(["COMPLETED", "CANCELLED", "FAILED"]);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}

/** The tone of a status badge: done, stopped or under way. */
export function statusTone(status: string): "in" | "out" | "low" {
  if (status === "COMPLETED") return "in";
  if (status === "CANCELLED" || status === "FAILED") return "out";
  return "low";
}

const STEP_WORDS: Record<string, string> = {
  "order.placed": "Order placed",
  "stock.reserve": "Reserve stock",
  "payment.capture": "Take payment",
  "stock.commit": "Take the stock",
  "shipment.create": "Create the shipment",
  "shipment.update": "Shipment moved",
  "order.complete": "Order completed",
  "order.cancel": "Cancel the order",
  "order.fail": "Order failed",
  "stock.release": "Release the reserved stock",
  "payment.refund": "Refund the payment",
  "stock.restock": "Put the stock back",
};

/** A timeline step in words (an unknown one as it is named). */
export function stepWords(step: string): string {
  return STEP_WORDS[step] ?? step;
}

export const OUTCOME_WORDS: Record<Outcome, string> = {
  STARTED: "started",
  RETRIED: "retried",
  SUCCEEDED: "done",
  FAILED: "failed",
  TIMED_OUT: "timed out",
  REQUESTED: "requested",
};

const SHIPMENT_WORDS: Record<ShipmentStatus, string> = {
  LABEL_CREATED: "Label created",
  IN_TRANSIT: "In transit",
  OUT_FOR_DELIVERY: "Out for delivery",
  DELIVERED: "Delivered",
};

/** A shipment state in words; timeline details carry the same names as strings. */
export function shipmentWords(status: string): string {
  return SHIPMENT_WORDS[status as ShipmentStatus] ?? status;
}
