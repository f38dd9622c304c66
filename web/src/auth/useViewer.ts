import { useQuery } from "urql";
import { graphql } from "../gql";
import type { ViewerQuery } from "../gql/graphql";
import { useSession } from "./useSession";

const Viewer = graphql(`
  query Viewer {
    me {
      id
      name
      email
      title
      department
      scopes
    }
  }
`);

export type ViewerInfo = NonNullable<ViewerQuery["me"]>;

/** Who is signed in, with the scopes their tokens carry (what the admin screens need). */
export function useViewer() {
  const session = useSession();
  const [{ data, fetching, error }] = useQuery({ query: Viewer, pause: !session });
  const viewer = session ? (data?.me ?? null) : null;
  const hasScope = (scope: string) => viewer?.scopes?.includes(scope) ?? false;
  return { viewer, fetching: !!session && fetching && !data, error, hasScope };
}
