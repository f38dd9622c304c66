// A document list kept current: the `documentChanged` subscription announces each document the
// viewer may see as it is created, edited or shared. The changed fields reach every row through
// graphcache (same `Document` entity); a new document, or one whose change moves it in the
// list, needs the list's first page again, which `refetch` asks for: once per burst of changes,
// and once after each (re)connection of the socket for what happened while it was down.
// Deletions are not announced by the API: a deleted document leaves the list on the next fetch.
import { useEffect, useRef } from "react";
import { useSubscription } from "urql";
import { useCatchUp } from "../api/live";
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

/** Changes that come within this long of the first one are answered by one fetch. */
const BURST_MS = 300;

export type ChangedDocument = NonNullable<DocumentChangedSubscription["documentChanged"]>;

/** The documents changed since the list opened, the latest first (a new array per event). */
function remember(seen: ChangedDocument[] = [], data: DocumentChangedSubscription): ChangedDocument[] {
  const changed = data.documentChanged;
  return changed ? [changed, ...seen.filter((d) => d.id !== changed.id)] : [...seen];
}

/** Returns the documents changed since the list opened, the latest first. */
export function useDocumentChanges(refetch: () => void): ChangedDocument[] {
  const latest = useRef(refetch);
  latest.current = refetch;
  const pending = useRef<number | undefined>(undefined);
  const [{ data: changes }] = useSubscription({ query: DocumentChanged }, remember);

  useEffect(() => {
    if (!changes || pending.current !== undefined) return;
    pending.current = window.setTimeout(() => {
      pending.current = undefined;
      latest.current();
    }, BURST_MS);
  }, [changes]);
  useEffect(() => () => window.clearTimeout(pending.current), []);

  useCatchUp(() => latest.current(), true);
  return changes ?? NONE;
}

const NONE: ChangedDocument[] = [];
