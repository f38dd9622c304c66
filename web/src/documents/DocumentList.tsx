// A list of visible documents for a filter (mine: my id as owner; everything: none), a page at
// a time with relayPagination merging the pages, kept current by `documentChanged` and
// `documentDeleted` (graphcache takes a deleted document out of the cached pages).
import { useState } from "react";
import { useClient, useQuery } from "urql";
import type { DocumentFilter } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { DocumentRow } from "./DocumentRow";
import { VisibleDocuments } from "./queries";
import { useDocumentChanges } from "./useDocumentChanges";

const PAGE_SIZE = 20;

/** Mount with a `key` per filter, so that a new search starts from its first page. */
export function DocumentList({ filter, showOwner, empty }: { filter: DocumentFilter; showOwner: boolean; empty: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: VisibleDocuments,
    variables: { filter, first: PAGE_SIZE, after },
  });
  const list = data?.visibleDocuments;
  // The first page again (newest first, so a new document is on it); relayPagination merges it
  // with the pages already shown.
  const client = useClient();
  useDocumentChanges(() => {
    void client.query(VisibleDocuments, { filter, first: PAGE_SIZE, after: null }, { requestPolicy: "network-only" }).toPromise();
  });

  if (error && !list) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!list) return <Loading label="Loading documents" />;

  return (
    <section aria-label="Documents" aria-busy={fetching}>
      <p className="results-count" aria-live="polite">
        {list.totalCount === 1 ? "1 document" : `${list.totalCount.toLocaleString()} documents`}
      </p>
      {list.edges.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <ul className="document-list">
          {list.edges.map(({ node }) => (
            <DocumentRow key={node.id} document={node} showOwner={showOwner} />
          ))}
        </ul>
      )}
      {error && <ErrorMessage error={error} />}
      {list.pageInfo.hasNextPage && (
        <div className="more">
          {fetching ? (
            <Loading label="Loading more documents" />
          ) : (
            <button type="button" className="button secondary" onClick={() => setAfter(list.pageInfo.endCursor ?? null)}>
              Show more documents
            </button>
          )}
        </div>
      )}
    </section>
  );
}
