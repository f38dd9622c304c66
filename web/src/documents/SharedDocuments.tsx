// Documents shared with me. The API has no filter for it, so this looks through the visible
// documents (newest first, 100 a page, a few pages at a time) and keeps those shared with the
// viewer that someone else owns; the user can ask to look further back. Kept current by
// `documentChanged` and `documentDeleted`.
import { useEffect, useState } from "react";
import { useClient, useQuery } from "urql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { DocumentRow } from "./DocumentRow";
import { VisibleDocuments } from "./queries";
import { useDocumentChanges } from "./useDocumentChanges";

const SCAN_PAGE_SIZE = 100;
const PAGES_PER_LOOK = 5;
const ENOUGH = 20;

/** Mount with a `key` per search text. */
export function SharedDocuments({ viewerId, text }: { viewerId: string; text: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [pages, setPages] = useState(1);
  const [pageLimit, setPageLimit] = useState(PAGES_PER_LOOK);
  const [{ data, fetching, error }] = useQuery({
    query: VisibleDocuments,
    variables: { filter: { text: text || null }, first: SCAN_PAGE_SIZE, after },
  });
  const list = data?.visibleDocuments;
  // Kept current like the list of everything. A document shared with the viewer long after it
  // was written may not be among the newest: the announcement itself shows it, at the top.
  const client = useClient();
  const { changed, deleted } = useDocumentChanges(() => {
    const variables = { filter: { text: text || null }, first: SCAN_PAGE_SIZE, after: null };
    void client.query(VisibleDocuments, variables, { requestPolicy: "network-only" }).toPromise();
  });
  const scanned = list?.edges.map((edge) => edge.node).filter((document) => !deleted.has(document.id)) ?? [];
  const sharedWithMe = (document: { sharedWithViewer: boolean; ownerId: string }) =>
    document.sharedWithViewer && document.ownerId !== viewerId;
  const announced = text ? [] : changed.filter((d) => sharedWithMe(d) && !scanned.some((s) => s.id === d.id));
  const shared = [...announced, ...scanned.filter(sharedWithMe)];
  const more = list?.pageInfo.hasNextPage ?? false;
  const endCursor = list?.pageInfo.endCursor ?? null;

  // Keep looking while this look's pages last and it has found fewer than ENOUGH.
  const looks = pageLimit / PAGES_PER_LOOK;
  useEffect(() => {
    if (!fetching && more && pages < pageLimit && shared.length < ENOUGH * looks) {
      setPages((n) => n + 1);
      setAfter(endCursor);
    }
  }, [fetching, more, pages, pageLimit, shared.length, looks, endCursor]);

  if (error && !list) return <ErrorMessage error={error} />;
  if (!list) return <Loading label="Looking for documents shared with you" />;
  const looking = fetching || (more && pages < pageLimit);

  return (
    <section aria-label="Documents shared with you" aria-busy={looking}>
      <p className="results-count" aria-live="polite">
        {shared.length === 1 ? "1 document" : `${shared.length} documents`} shared with you among the{" "}
        {scanned.length.toLocaleString()} newest you can see
      </p>
      {shared.length === 0 && !looking ? (
        <Empty>Nobody has shared a document with you{more ? " recently" : ""}.</Empty>
      ) : (
        <ul className="document-list">
          {shared.map((document) => (
            <DocumentRow key={document.id} document={document} showOwner />
          ))}
        </ul>
      )}
      {error && <ErrorMessage error={error} />}
      {looking ? (
        <Loading label="Looking through more documents" />
      ) : (
        more && (
          <div className="more">
            <button type="button" className="button secondary" onClick={() => setPageLimit((n) => n + PAGES_PER_LOOK)}>
              Look through older documents
            </button>
          </div>
        )
      )}
    </section>
  );
}
