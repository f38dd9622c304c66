// Formatting of the API's scalars for display (Decimal amounts are strings, DateTime RFC 3339).

export function formatMoney(money: { amount: string; currency: string }): string {
  const amount = Number(money.amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: money.currency }).format(amount);
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}

export function formatDate(value: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

/** A moment to the second, for timelines. */
export function formatTime(value: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(new Date(value));
}
