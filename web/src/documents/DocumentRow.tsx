import { Link } from "react-router";
import type { VisibleDocumentsQuery } from "../gql/graphql";
import { formatDate } from "../ui/format";

export type DocumentSummary = VisibleDocumentsQuery["visibleDocuments"]["edges"][number]["node"];

/** One document of a list: its title, whose it is (unless it is the viewer's), when it changed. */
export function DocumentRow({ document, showOwner }: { document: DocumentSummary; showOwner: boolean }) {
  return (
    <li className="document-row">
      <Link to={`/documents/${document.id}`} className="title">
        {document.title}
      </Link>
      <span className="meta">
        {showOwner && <span className="owner">{document.owner.name}</span>}
        <span>{formatDate(document.updatedAt)}</span>
        {document.sharedWithViewer && <span className="badge in">Shared with you</span>}
        {document.tags.map((tag) => (
          <span key={tag} className="tag">
            {tag}
          </span>
        ))}
      </span>
    </li>
  );
}
