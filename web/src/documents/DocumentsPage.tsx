// Documents: mine, everything I can see (with whose each is), shared with me; full-text search
// over the chosen view. The view and the search text live in the URL.
import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useViewer } from "../auth/useViewer";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { DocumentList } from "./DocumentList";
import { SharedDocuments } from "./SharedDocuments";

const VIEWS = [
  { id: "mine", label: "Mine" },
  { id: "all", label: "Everything I can see" },
  { id: "shared", label: "Shared with me" },
] as const;
type View = (typeof VIEWS)[number]["id"];

export function DocumentsPage() {
  usePageTitle("Documents");
  const [params, setParams] = useSearchParams();
  const view: View = VIEWS.find((v) => v.id === params.get("view"))?.id ?? "mine";
  const text = params.get("q") ?? "";
  const { viewer, fetching, error } = useViewer();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);

  const link = (next: View) => {
    const search = new URLSearchParams({ view: next });
    if (text) search.set("q", text);
    return `/documents?${search}`;
  };
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    const search = new URLSearchParams({ view });
    if (draft.trim()) search.set("q", draft.trim());
    setParams(search);
  };

  return (
    <section className="page" aria-labelledby="documents-title">
      <div className="page-head">
        <h1 id="documents-title">Documents</h1>
        <Link to="/documents/new" className="button">
          New document
        </Link>
      </div>
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      <nav aria-label="Document views" className="tabs">
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}>
              <Link to={link(v.id)} aria-current={v.id === view ? "page" : undefined}>
                {v.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <form role="search" className="filters" onSubmit={onSearch} aria-label="Search documents">
        <div className="field grow">
          <label htmlFor="document-search">Search titles and text</label>
          <input id="document-search" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />
        </div>
        <button type="submit" className="button">
          Search
        </button>
      </form>
      {error ? (
        <ErrorMessage error={error} />
      ) : fetching || !viewer ? (
        <Loading label="Loading documents" />
      ) : view === "shared" ? (
        <SharedDocuments key={text} viewerId={viewer.id} text={text} />
      ) : (
        <DocumentList
          key={`${view}:${text}`}
          filter={view === "mine" ? { ownerId: viewer.id, text: text || null } : { text: text || null }}
          showOwner={view === "all"}
          empty={text ? "No documents match this search." : view === "mine" ? "You have no documents yet." : "You can't see any documents yet."}
        />
      )}
    </section>
  );
}
