import { useEffect } from "react";
import { refresh } from "./session";
import { useSession } from "./useSession";

/** Refresh this long before the access token expires. */
const REFRESH_AHEAD_MS = 60_000;

/** Keeps the session alive: refreshes the access token shortly before it expires. */
export function SessionKeeper() {
  const session = useSession();
  useEffect(() => {
    if (!session) return;
    const lifetime = session.expiresAt - Date.now();
    const delay = Math.max(0, Math.min(lifetime - REFRESH_AHEAD_MS, lifetime / 2));
    const timer = window.setTimeout(() => void refresh(), delay);
    return () => window.clearTimeout(timer);
  }, [session]);
  return null;
}
