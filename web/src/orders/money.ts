// Sums of Money (Decimal strings) without floating-point drift: in units of the smallest
// decimal place any amount uses, one sum per currency.

type Money = { amount: string; currency: string };

function decimals(amount: string): number {
  const dot = amount.indexOf(".");
  return dot < 0 ? 0 : amount.length - dot - 1;
}

function scaled(amount: string, places: number): bigint {
  const negative = amount.startsWith("-");
  const [whole = "0", fraction = ""] = amount.replace(/^[-+]/, "").split(".");
  const value = BigInt(whole || "0") * 10n ** BigInt(places) + BigInt((fraction + "0".repeat(places)).slice(0, places) || "0");
  return negative ? -value : value;
}

function unscaled(value: bigint, places: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(places + 1, "0");
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return negative ? `-${text}` : text;
}

/** Σ price × quantity, one Money per currency (in the order the currencies first appear). */
export function totals(lines: { price: Money; quantity: number }[]): Money[] {
  const places = Math.max(2, ...lines.map((l) => decimals(l.price.amount)));
  const sums = new Map<string, bigint>();
  for (const line of lines) {
    const previous = sums.get(line.price.currency) ?? 0n;
    sums.set(line.price.currency, previous + scaled(line.price.amount, places) * BigInt(line.quantity));
  }
  return [...sums].map(([currency, sum]) => ({ currency, amount: unscaled(sum, places) }));
}
