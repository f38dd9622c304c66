import { useSyncExternalStore } from "react";
import { getSession, subscribe, type Session } from "./session";

/** The current session (null when signed out); re-renders when it changes in any tab. */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, getSession);
}
