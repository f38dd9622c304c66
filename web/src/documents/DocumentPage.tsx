// One document: its text, owner, versions, shares. While it is open, `documentDeleted` says when
// someone deletes it (graphcache then answers the page's query with the deletion), and the page
// says who deleted it and when; a document deleted before the page opened says the same (for
// the seven days the API keeps deletions).
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { useCatchUp } from "../api/live";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { DeleteDocument } from "./DeleteDocument";
import { DocumentDetail } from "./queries";
import { ShareForm } from "./ShareForm";
import { useDocumentDeletions, type DeletedDocument } from "./useDocumentChanges";

export function DocumentPage() {
  const { id = "" } = useParams();
  const [{ data, error }, reexecute] = useQuery({ query: DocumentDetail, variables: { id } });
  const fetchAgain = () => reexecute({ requestPolicy: "network-only" });
  // Followed while the document is shown; a deletion missed while the socket was down shows at
  // the fetch after it is back.
  const pushed = useDocumentDeletions(fetchAgain, !!data?.document).find((d) => d.id === id);
  useCatchUp(fetchAgain, !!data?.document);
  const deletion = data?.deletedDocument ?? pushed;
  const document = deletion ? null : data?.document;
  usePageTitle(deletion ? `Deleted: ${deletion.title}` : (document?.title ?? "Document"));

  if (deletion) return <Deleted deletion={deletion} />;
  if (error) return <ErrorMessage error={error} retry={fetchAgain} />;
  if (!data) return <Loading label="Loading the document" />;
  if (!document) {
    return (
      <section className="page" aria-labelledby="document-title">
        <h1 id="document-title">Document not found</h1>
        <p>
          It does not exist, or you may not see it. <Link to="/documents">Back to documents</Link>
        </p>
      </section>
    );
  }

  return (
    <article className="page document" aria-labelledby="document-title">
      <p>
        <Link to="/documents">← Documents</Link>
      </p>
      <div className="page-head">
        <h1 id="document-title">{document.title}</h1>
        <div className="actions">
          <Link to={`/documents/${document.id}/edit`} className="button">
            Edit
          </Link>
          <DeleteDocument id={document.id} version={document.version} title={document.title} />
        </div>
      </div>
      <p className="meta">
        <span>
          Owner: <strong data-testid="document-owner">{document.owner.name}</strong>
        </span>
        <span>Created by {document.createdBy.name}</span>
        <span>Updated {formatDate(document.updatedAt)}</span>
        <span>Version {document.version}</span>
      </p>
      {document.tags.length > 0 && (
        <p className="meta">
          {document.tags.map((tag) => (
            <span key={tag} className="tag">
              {tag}
            </span>
          ))}
        </p>
      )}
      <div className="document-body">{document.body}</div>
      <ShareForm documentId={document.id} shares={document.sharedWith} />
    </article>
  );
}

function Deleted({ deletion }: { deletion: DeletedDocument }) {
  return (
    <section className="page" aria-labelledby="document-title">
      <p>
        <Link to="/documents">← Documents</Link>
      </p>
      <h1 id="document-title">{deletion.title}</h1>
      <p className="notice" role="alert" data-testid="document-deleted">
        This document was deleted by {deletion.deletedBy.name} on {formatDate(deletion.deletedAt)}.
      </p>
      <p className="meta">
        <span>Owner: {deletion.owner.name}</span>
        <span>Last version {deletion.version}</span>
      </p>
    </section>
  );
}
