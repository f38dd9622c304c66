// The signed-in session: tokens in localStorage (shared by the tabs of this browser), sign-in,
// sign-out, and refresh. A refresh token is single use, so tabs refresh one at a time under a
// Web Lock and a tab that waited adopts the pair another tab just got.
import { Client, CombinedError, fetchExchange } from "@urql/core";
import { graphql } from "../gql";

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  /** When the user signed in; unchanged by refreshes, so it tells one sign-in from another. */
  startedAt: number;
}

/** How a session ended: the user signed out, or it could no longer be refreshed. */
export type EndReason = "signed-out" | "expired";

const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      refreshToken
      expiresIn
    }
  }
`);

const RefreshMutation = graphql(`
  mutation Refresh($refreshToken: String!) {
    refresh(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresIn
    }
  }
`);

const LogoutMutation = graphql(`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`);

const STORAGE_KEY = "braid.session";
const LOCK_NAME = "braid.session.refresh";

// Token requests carry no token and bypass any cache.
const tokenClient = new Client({ url: "/graphql", exchanges: [fetchExchange], requestPolicy: "network-only" });

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | null = readStorage();
let lastEnd: EndReason | null = null;
let pendingRefresh: Promise<Session | null> | null = null;

function readStorage(): Session | null {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (typeof value !== "object" || value === null) return null;
    const s = value as Record<string, unknown>;
    const valid =
      typeof s.accessToken === "string" &&
      typeof s.refreshToken === "string" &&
      typeof s.expiresAt === "number" &&
      typeof s.startedAt === "number";
    return valid ? (s as unknown as Session) : null;
  } catch {
    return null;
  }
}

function store(session: Session | null, end?: EndReason) {
  current = session;
  if (session) {
    lastEnd = null;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } else {
    lastEnd = end ?? "signed-out";
    localStorage.removeItem(STORAGE_KEY);
  }
  listeners.forEach((listener) => listener());
}

// Another tab signed in, refreshed or signed out.
window.addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY && event.key !== null) return;
  current = readStorage();
  listeners.forEach((listener) => listener());
});

function fromPair(pair: { accessToken: string; refreshToken: string; expiresIn: number }, startedAt: number): Session {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
    startedAt,
  };
}

export function getSession(): Session | null {
  return current;
}

export function endReason(): EndReason | null {
  return lastEnd;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Signs in; rejects with the API's error (wrong password, locked account, ...). */
export async function signIn(email: string, password: string): Promise<void> {
  const result = await tokenClient.mutation(LoginMutation, { email, password }).toPromise();
  if (result.error || !result.data) throw result.error ?? new CombinedError({ networkError: new Error("no answer") });
  store(fromPair(result.data.login, Date.now()));
}

/** Signs out here and ends the session on the server (best effort: the tokens are gone here). */
export async function signOut(): Promise<void> {
  const session = current;
  store(null, "signed-out");
  if (session) await tokenClient.mutation(LogoutMutation, { refreshToken: session.refreshToken }).toPromise();
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  if (!("locks" in navigator)) return work();
  return navigator.locks.request(LOCK_NAME, work);
}

/**
 * Exchanges the refresh token for a new pair, once for all callers and tabs. Resolves to the
 * new session, or null when the session is over (the server refused the refresh token).
 */
export function refresh(): Promise<Session | null> {
  const stale = current;
  if (!stale) return Promise.resolve(null);
  pendingRefresh ??= withLock(async () => {
    const latest = readStorage();
    if (!latest) {
      store(null, "expired");
      return null;
    }
    if (latest.refreshToken !== stale.refreshToken) {
      // Another tab refreshed while this one waited for the lock.
      store(latest);
      return latest;
    }
    const result = await tokenClient.mutation(RefreshMutation, { refreshToken: latest.refreshToken }).toPromise();
    if (result.data) {
      const session = fromPair(result.data.refresh, latest.startedAt);
      store(session);
      return session;
    }
    if (result.error?.networkError && result.error.graphQLErrors.length === 0) {
      return latest; // Offline: keep the session and try again on the next request.
    }
    store(null, "expired");
    return null;
  }).finally(() => {
    pendingRefresh = null;
  });
  return pendingRefresh;
}
