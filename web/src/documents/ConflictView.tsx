// What a CONFLICT shows: the user's unsaved version beside the one now stored (someone else's
// save), and the two ways out: take the stored one, or save mine over it on purpose.
import { formatDate } from "../ui/format";

export interface Draft {
  title: string;
  body: string;
  tags: string;
}

export interface StoredVersion extends Draft {
  version: number;
  updatedAt: string;
}

export function ConflictView({
  mine,
  stored,
  onReload,
  onOverwrite,
  busy,
}: {
  mine: Draft;
  stored: StoredVersion;
  onReload: () => void;
  onOverwrite: () => void;
  busy: boolean;
}) {
  return (
    <section className="conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title">Someone else changed this document</h2>
      <p>
        It was saved again (version {stored.version}, {formatDate(stored.updatedAt)}) while you were editing. Your
        changes are not saved yet. Compare both versions and choose.
      </p>
      <div className="versions">
        <section aria-labelledby="mine-title" className="card">
          <h3 id="mine-title">Your version (not saved)</h3>
          <VersionText draft={mine} />
        </section>
        <section aria-labelledby="stored-title" className="card">
          <h3 id="stored-title">Saved version {stored.version}</h3>
          <VersionText draft={stored} />
        </section>
      </div>
      <div className="actions">
        <button type="button" className="button secondary" onClick={onReload} disabled={busy}>
          Discard mine and load version {stored.version}
        </button>
        <button type="button" className="button danger" onClick={onOverwrite} disabled={busy}>
          Overwrite with my version
        </button>
      </div>
    </section>
  );
}

function VersionText({ draft }: { draft: Draft }) {
  return (
    <dl className="facts">
      <div>
        <dt>Title</dt>
        <dd>{draft.title}</dd>
      </div>
      <div>
        <dt>Tags</dt>
        <dd>{draft.tags || "none"}</dd>
      </div>
      <div>
        <dt>Text</dt>
        <dd className="document-body">{draft.body}</dd>
      </div>
    </dl>
  );
}
