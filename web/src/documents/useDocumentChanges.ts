// A document list kept current: the `documentChanged` subscription announces each document the
// viewer may see as it is created, edited or shared. The changed fields reach every row through
// graphcache (same `Document` entity); a new document, or one whose change moves it in the
// list, needs the list's first page again, which `refetch` asks for: once per burst of changes,
// and once after each (re)connection of the socket for what happened while it was down.
// Deletions are not announced by the API: a deleted document leaves the list on the next fetch.
import { useSubscription } from "urql";
import { useRefetchOnChange, useReopenWhenLagged } from "../api/live";
import { graphql } from "../gql";
import type { DocumentChangedSubscription } from "../gql/graphql";

const DocumentChanged = graphql(`
  subscription DocumentChanged {
    documentChanged {
      id
      title
      tags
      ownerId
      owner {
        id
        name
      }
      updatedAt
      sharedWithViewer
    }
  }
`);

export type ChangedDocument = NonNullable<DocumentChangedSubscription["documentChanged"]>;

/** The documents changed since the list opened, the latest first (a new array per event). */
function remember(seen: ChangedDocument[] = [], data: DocumentChangedSubscription): ChangedDocument[] {
  const changed = data.documentChanged;
  return changed ? [changed, ...seen.filter((d) => d.id !== changed.id)] : [...seen];
}

/** Returns the documents changed since the list opened, the latest first. */
export function useDocumentChanges(refetch: () => void): ChangedDocument[] {
  const [{ data: changes, error }, reopen] = useSubscription({ query: DocumentChanged }, remember);
  useRefetchOnChange(changes, refetch);
  useReopenWhenLagged(error, reopen, refetch);
  return changes ?? NONE;
}

const NONE: ChangedDocument[] = [];
