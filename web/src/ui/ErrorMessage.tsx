import type { CombinedError } from "urql";
import { describeError, errorCode } from "../api/errors";

/** An API error in words, with its code for support; announced to screen readers. */
export function ErrorMessage({ error, retry }: { error: CombinedError; retry?: () => void }) {
  const code = errorCode(error);
  return (
    <div className="error" role="alert" data-code={code}>
      <p>{describeError(error)}</p>
      {retry && (
        <button type="button" className="button secondary" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}
