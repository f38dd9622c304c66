import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { writeParams, type CatalogParams } from "./catalogParams";

const Categories = graphql(`
  query Categories {
    categories {
      id
      slug
      name
    }
  }
`);

/** Browse by category: a link per category (and "All"), keeping the other filters. */
export function CategoryNav({ params }: { params: CatalogParams }) {
  const [{ data, error }] = useQuery({ query: Categories });
  if (error) return <ErrorMessage error={error} />;
  const link = (slug: string) => `/catalog?${writeParams({ ...params, category: slug })}`;
  const all = [{ id: "", slug: "", name: "All" }, ...(data?.categories ?? [])];
  return (
    <nav aria-label="Categories" className="categories">
      <ul>
        {all.map((category) => (
          <li key={category.id || "all"}>
            <Link to={link(category.slug)} aria-current={params.category === category.slug ? "page" : undefined}>
              {category.name}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
