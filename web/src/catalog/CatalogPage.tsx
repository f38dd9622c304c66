import { useCallback } from "react";
import { useSearchParams } from "react-router";
import { usePageTitle } from "../ui/usePageTitle";
import { CatalogFilters } from "./CatalogFilters";
import { CategoryNav } from "./CategoryNav";
import { ProductResults } from "./ProductResults";
import { readParams, toFilter, writeParams, type CatalogParams } from "./catalogParams";

export function CatalogPage() {
  usePageTitle("Catalog");
  const [search, setSearch] = useSearchParams();
  const params = readParams(search);
  const onChange = useCallback((next: CatalogParams) => setSearch(writeParams(next), { replace: true }), [setSearch]);
  const filter = toFilter(params);

  return (
    <section className="page" aria-labelledby="catalog-title">
      <h1 id="catalog-title">Catalog</h1>
      <CategoryNav params={params} />
      <CatalogFilters params={params} onChange={onChange} />
      <ProductResults key={JSON.stringify([filter, params.sort])} filter={filter} sort={params.sort} />
    </section>
  );
}
