import { useEffect } from "react";

/** Sets the document title, so each screen has its own in the history and for screen readers. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Braid` : "Braid";
  }, [title]);
}
