// Deleting a document, after a confirmation in the page (at the version the user saw).
import { useState } from "react";
import { useNavigate } from "react-router";
import { useMutation } from "urql";
import { graphql } from "../gql";
import { ErrorMessage } from "../ui/ErrorMessage";

const Delete = graphql(`
  mutation DeleteDocument($id: ID!, $expectedVersion: Int) {
    deleteDocument(id: $id, expectedVersion: $expectedVersion)
  }
`);

export function DeleteDocument({ id, version, title }: { id: string; version: number; title: string }) {
  const [confirming, setConfirming] = useState(false);
  const [state, remove] = useMutation(Delete);
  const navigate = useNavigate();

  const onDelete = async () => {
    const result = await remove({ id, expectedVersion: version });
    if (!result.error) navigate("/documents", { replace: true, state: { notice: `Deleted “${title}”.` } });
  };

  if (!confirming) {
    return (
      <button type="button" className="button danger" onClick={() => setConfirming(true)}>
        Delete
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label="Confirm deletion">
      <p>Delete “{title}” for everyone? This cannot be undone.</p>
      <button type="button" className="button danger" onClick={onDelete} disabled={state.fetching} autoFocus>
        Yes, delete it
      </button>
      <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
        Keep it
      </button>
      {state.error && <ErrorMessage error={state.error} />}
    </div>
  );
}
