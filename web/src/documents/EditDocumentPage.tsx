// Editing a document with optimistic concurrency: the save names the version the edit started
// from (`expectedVersion`); a CONFLICT fetches the stored version and shows both.
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useClient, useMutation, useQuery, type CombinedError } from "urql";
import { hasCode } from "../api/errors";
import { graphql } from "../gql";
import type { DocumentDetailQuery } from "../gql/graphql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { ConflictView, type Draft, type StoredVersion } from "./ConflictView";
import { DocumentForm, parseTags } from "./DocumentForm";
import { DocumentDetail } from "./queries";

const Update = graphql(`
  mutation UpdateDocument($id: ID!, $expectedVersion: Int!, $input: UpdateDocumentInput!) {
    updateDocument(id: $id, expectedVersion: $expectedVersion, input: $input) {
      id
      title
      body
      tags
      version
      updatedAt
    }
  }
`);

function stored(document: NonNullable<DocumentDetailQuery["document"]>): StoredVersion {
  return {
    title: document.title,
    body: document.body,
    tags: document.tags.join(", "),
    version: document.version,
    updatedAt: document.updatedAt,
  };
}

export function EditDocumentPage() {
  const { id = "" } = useParams();
  // The edit starts from the stored version, not from what the cache may still hold.
  const [{ data, error: loadError }] = useQuery({
    query: DocumentDetail,
    variables: { id },
    requestPolicy: "network-only",
  });
  const client = useClient();
  const navigate = useNavigate();
  const [, update] = useMutation(Update);
  const [base, setBase] = useState<StoredVersion | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [conflict, setConflict] = useState<StoredVersion | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  usePageTitle(base ? `Edit ${base.title}` : "Edit document");

  useEffect(() => {
    if (data?.document && !base) {
      setBase(stored(data.document));
      setDraft(stored(data.document));
    }
  }, [data, base]);

  if (loadError) return <ErrorMessage error={loadError} />;
  if (data && !data.document) {
    return (
      <section className="page" aria-labelledby="edit-title">
        <h1 id="edit-title">Document not found</h1>
        <p>
          It does not exist, or you may not see it. <Link to="/documents">Back to documents</Link>
        </p>
      </section>
    );
  }
  if (!base || !draft) return <Loading label="Loading the document" />;

  const save = async (expectedVersion: number) => {
    setBusy(true);
    setError(null);
    const input = { title: draft.title, body: draft.body, tags: parseTags(draft.tags) };
    const result = await update({ id, expectedVersion, input });
    if (result.data) {
      navigate(`/documents/${id}`);
      return;
    }
    if (hasCode(result.error, "CONFLICT")) {
      const latest = await client.query(DocumentDetail, { id }, { requestPolicy: "network-only" }).toPromise();
      if (latest.data?.document) setConflict(stored(latest.data.document));
      else setError(latest.error ?? result.error ?? null);
    } else {
      setError(result.error ?? null);
    }
    setBusy(false);
  };

  const reload = () => {
    if (!conflict) return;
    setBase(conflict);
    setDraft(conflict);
    setConflict(null);
  };

  return (
    <section className="page" aria-labelledby="edit-title">
      <p>
        <Link to={`/documents/${id}`}>← Back to the document</Link>
      </p>
      <h1 id="edit-title">Edit document</h1>
      <p className="muted">Editing version {base.version}.</p>
      {conflict ? (
        <ConflictView
          mine={draft}
          stored={conflict}
          busy={busy}
          onReload={reload}
          onOverwrite={() => save(conflict.version)}
        />
      ) : (
        <DocumentForm draft={draft} onChange={setDraft} onSubmit={() => save(base.version)} busy={busy} submitLabel="Save" />
      )}
      {error && <ErrorMessage error={error} />}
    </section>
  );
}
