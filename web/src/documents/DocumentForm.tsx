// The fields of a document (title, text, tags), shared by the create and edit screens.
import type { FormEvent, ReactNode } from "react";
import type { Draft } from "./ConflictView";

/** Tags as typed ("a, b") to the list the API takes. */
export function parseTags(tags: string): string[] {
  return [...new Set(tags.split(",").map((tag) => tag.trim()).filter(Boolean))];
}

export function DocumentForm({
  draft,
  onChange,
  onSubmit,
  busy,
  submitLabel,
  children,
}: {
  draft: Draft;
  onChange: (draft: Draft) => void;
  onSubmit: () => void;
  busy: boolean;
  submitLabel: string;
  children?: ReactNode;
}) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label="Document">
      <label htmlFor="document-title-input">Title</label>
      <input
        id="document-title-input"
        required
        maxLength={500}
        value={draft.title}
        onChange={(e) => onChange({ ...draft, title: e.target.value })}
      />
      <label htmlFor="document-body-input">Text</label>
      <textarea
        id="document-body-input"
        rows={12}
        value={draft.body}
        onChange={(e) => onChange({ ...draft, body: e.target.value })}
      />
      <label htmlFor="document-tags-input">Tags (separated by commas)</label>
      <input
        id="document-tags-input"
        value={draft.tags}
        onChange={(e) => onChange({ ...draft, tags: e.target.value })}
      />
      {children}
      <div className="actions">
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
