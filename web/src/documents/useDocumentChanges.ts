// A document list kept current: the `documentChanged` subscription announces each document the
// viewer may see as it is created, edited or shared. The changed fields reach every row through
// graphcache (same `Document` entity); a new document, or one whose change moves it in the
// list, needs the list's first page again, which `refetch` asks for: once per burst of changes,
// and once after each (re)connection of the socket for what happened while it was down.
// `documentDeleted` announces each document the viewer could see as it is deleted: graphcache
// takes it out of every cached list page (see `../api/cache`), and the list's first page is
// asked again for its count.
import { useSubscription } from "urql";
import { useRefetchOnChange, useRefetchOnEvents, useReopenWhenLagged } from "../api/live";
import { graphql } from "../gql";
import type { DeletedDocumentFieldsFragment, DocumentChangedSubscription, DocumentDeletedSubscription } from "../gql/graphql";

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

/** Deletions, as the document page shows them (graphcache links each to its document's id). */
export const DocumentDeleted = graphql(`
  subscription DocumentDeleted {
    documentDeleted {
      ...DeletedDocumentFields
    }
  }
`);

export type ChangedDocument = NonNullable<DocumentChangedSubscription["documentChanged"]>;
export type DeletedDocument = DeletedDocumentFieldsFragment;

/** The documents changed since the list opened, the latest first (a new array per event). */
function remember(seen: ChangedDocument[] = [], data: DocumentChangedSubscription): ChangedDocument[] {
  const changed = data.documentChanged;
  return changed ? [changed, ...seen.filter((d) => d.id !== changed.id)] : [...seen];
}

/** The deletions pushed since the screen opened, the latest first (a new array per event). */
function rememberDeleted(seen: DeletedDocument[] = [], data: DocumentDeletedSubscription): DeletedDocument[] {
  const deleted = data.documentDeleted;
  return deleted ? [deleted, ...seen.filter((d) => d.id !== deleted.id)] : [...seen];
}

/**
 * Follows `documentDeleted` while `active`: returns the deletions pushed since, the latest
 * first. When the gateway ends the subscription as lagged, it is opened again and `fetchAgain`
 * asks for what it may have missed.
 */
export function useDocumentDeletions(fetchAgain: () => void, active = true): DeletedDocument[] {
  const [{ data: deletions, error }, reopen] = useSubscription({ query: DocumentDeleted, pause: !active }, rememberDeleted);
  useReopenWhenLagged(error, reopen, fetchAgain);
  return deletions ?? NO_DELETIONS;
}

export interface DocumentChanges {
  /** The documents changed since the list opened, the latest first. */
  changed: ChangedDocument[];
  /** The ids of the documents deleted since the list opened. */
  deleted: ReadonlySet<string>;
}

/** Follows `documentChanged` and `documentDeleted` for a list (see above). */
export function useDocumentChanges(refetch: () => void): DocumentChanges {
  const [{ data: changes, error }, reopen] = useSubscription({ query: DocumentChanged }, remember);
  useRefetchOnChange(changes, refetch);
  useReopenWhenLagged(error, reopen, refetch);
  const deletions = useDocumentDeletions(refetch);
  useRefetchOnEvents(deletions.length > 0 ? deletions : undefined, refetch);
  const deleted = new Set(deletions.map((d) => d.id));
  return { changed: (changes ?? NO_CHANGES).filter((d) => !deleted.has(d.id)), deleted };
}

const NO_CHANGES: ChangedDocument[] = [];
const NO_DELETIONS: DeletedDocument[] = [];
