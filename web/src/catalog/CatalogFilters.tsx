// Search, price range and sort. Typing applies after a short pause (and at once on Enter), so
// the list follows the search box without a request per keystroke.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { SORTS, type CatalogParams } from "./catalogParams";
import type { ProductSort } from "../gql/graphql";

const TYPING_PAUSE_MS = 300;

export function CatalogFilters({ params, onChange }: { params: CatalogParams; onChange: (p: CatalogParams) => void }) {
  const [q, setQ] = useState(params.q);
  const [min, setMin] = useState(params.min);
  const [max, setMax] = useState(params.max);

  // What this form last put in the URL: any other change of the URL (the back button, a
  // category link) is shown in the boxes; its own changes are not, so typing is never undone.
  const committed = useRef({ q: params.q, min: params.min, max: params.max });
  useEffect(() => {
    const mine = committed.current;
    if (mine.q === params.q && mine.min === params.min && mine.max === params.max) return;
    committed.current = { q: params.q, min: params.min, max: params.max };
    setQ(params.q);
    setMin(params.min);
    setMax(params.max);
  }, [params.q, params.min, params.max]);

  const commit = (next: CatalogParams) => {
    committed.current = { q: next.q, min: next.min, max: next.max };
    onChange(next);
  };

  // Typing (re)starts the pause; when it ends, the boxes go to the URL.
  const changed = q !== params.q || min !== params.min || max !== params.max;
  useEffect(() => {
    if (!changed) return;
    const timer = window.setTimeout(() => commit({ ...params, q, min, max }), TYPING_PAUSE_MS);
    return () => window.clearTimeout(timer);
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    commit({ ...params, q, min, max });
  };

  return (
    <form role="search" className="filters" onSubmit={onSubmit} aria-label="Search the catalog">
      <div className="field grow">
        <label htmlFor="catalog-search">Search</label>
        <input
          id="catalog-search"
          type="search"
          placeholder="Name, description or SKU"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="catalog-min">Min price</label>
        <input
          id="catalog-min"
          type="number"
          inputMode="decimal"
          min="0"
          step="0.01"
          value={min}
          onChange={(e) => setMin(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="catalog-max">Max price</label>
        <input
          id="catalog-max"
          type="number"
          inputMode="decimal"
          min="0"
          step="0.01"
          value={max}
          onChange={(e) => setMax(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="catalog-sort">Sort</label>
        <select
          id="catalog-sort"
          value={params.sort}
          onChange={(e) => commit({ ...params, q, min, max, sort: e.target.value as ProductSort })}
        >
          {SORTS.map((sort) => (
            <option key={sort.value} value={sort.value}>
              {sort.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
