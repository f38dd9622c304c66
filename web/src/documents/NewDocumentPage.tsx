import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { usePageTitle } from "../ui/usePageTitle";
import type { Draft } from "./ConflictView";
import { DocumentForm, parseTags } from "./DocumentForm";

const Create = graphql(`
  mutation CreateDocument($input: CreateDocumentInput!) {
    createDocument(input: $input) {
      id
      title
      body
      tags
      version
      ownerId
      updatedAt
    }
  }
`);

export function NewDocumentPage() {
  usePageTitle("New document");
  const [draft, setDraft] = useState<Draft>({ title: "", body: "", tags: "" });
  const [state, create] = useMutation(Create);
  const navigate = useNavigate();

  const onSubmit = async () => {
    const result = await create({ input: { title: draft.title, body: draft.body, tags: parseTags(draft.tags) } });
    if (result.data) navigate(`/documents/${result.data.createDocument.id}`, { replace: true });
  };

  return (
    <section className="page" aria-labelledby="new-document-title">
      <p>
        <Link to="/documents">← Documents</Link>
      </p>
      <h1 id="new-document-title">New document</h1>
      <DocumentForm draft={draft} onChange={setDraft} onSubmit={onSubmit} busy={state.fetching} submitLabel="Create">
        {state.error && <ErrorMessage error={state.error} />}
      </DocumentForm>
    </section>
  );
}
