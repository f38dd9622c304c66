// The catalog's filters live in the URL (?q=&category=&min=&max=&sort=), so a filtered page can
// be bookmarked, shared, reloaded and reached with the back button.
import type { ProductFilter, ProductSort } from "../gql/graphql";

export interface CatalogParams {
  q: string;
  category: string;
  min: string;
  max: string;
  sort: ProductSort;
}

export const SORTS: { value: ProductSort; label: string }[] = [
  { value: "NAME", label: "Name, A to Z" },
  { value: "PRICE_ASC", label: "Price, low to high" },
  { value: "PRICE_DESC", label: "Price, high to low" },
];

const isSort = (value: string | null): value is ProductSort => SORTS.some((s) => s.value === value);

/** A decimal amount the API accepts ("12" or "12.5" or "12.99"), else "". */
function amount(value: string | null): string {
  return value && /^\d+(\.\d{1,2})?$/.test(value.trim()) ? value.trim() : "";
}

export function readParams(search: URLSearchParams): CatalogParams {
  const sort = search.get("sort");
  return {
    q: search.get("q") ?? "",
    category: search.get("category") ?? "",
    min: amount(search.get("min")),
    max: amount(search.get("max")),
    sort: isSort(sort) ? sort : "NAME",
  };
}

export function writeParams(params: CatalogParams): URLSearchParams {
  const search = new URLSearchParams();
  if (params.q.trim()) search.set("q", params.q);
  if (params.category) search.set("category", params.category);
  if (amount(params.min)) search.set("min", amount(params.min));
  if (amount(params.max)) search.set("max", amount(params.max));
  if (params.sort !== "NAME") search.set("sort", params.sort);
  return search;
}

export function toFilter(params: CatalogParams): ProductFilter {
  return {
    search: params.q.trim() || null,
    categorySlug: params.category || null,
    minPrice: params.min || null,
    maxPrice: params.max || null,
  };
}
