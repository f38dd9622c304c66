// Where sign-in sends the user afterwards: the page they were on when the session ended.

/** The sign-in page, remembering `path` (the app page the user was on). */
export function signInPath(path: string, expired = false): string {
  const params = new URLSearchParams();
  if (path !== "/" && !path.startsWith("/signin")) params.set("next", path);
  if (expired) params.set("expired", "1");
  const query = params.toString();
  return query ? `/signin?${query}` : "/signin";
}

/** The remembered page, if it is a path of this app (never another site). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin") ? next : "/catalog";
}
