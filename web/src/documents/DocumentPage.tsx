import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { DeleteDocument } from "./DeleteDocument";
import { DocumentDetail } from "./queries";
import { ShareForm } from "./ShareForm";

export function DocumentPage() {
  const { id = "" } = useParams();
  const [{ data, error }, reexecute] = useQuery({ query: DocumentDetail, variables: { id } });
  const document = data?.document;
  usePageTitle(document?.title ?? "Document");

  if (error) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
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
