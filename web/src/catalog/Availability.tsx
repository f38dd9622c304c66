/** Stock in words: in stock, low (with how many are left) or out. */
export function Availability({ inventory }: { inventory: { available: number; lowStock: boolean } }) {
  if (inventory.available <= 0) return <span className="badge out">Out of stock</span>;
  if (inventory.lowStock) return <span className="badge low">Only {inventory.available} left</span>;
  return <span className="badge in">In stock</span>;
}
