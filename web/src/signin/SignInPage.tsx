// Sign-in: email and password for `login`; afterwards the page the user was on (kept in
// `?next=`), and a note when they are here because their session expired.
import { useState, type FormEvent } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import type { CombinedError } from "urql";
import { safeNext } from "../auth/redirect";
import { signIn } from "../auth/session";
import { useSession } from "../auth/useSession";
import { ErrorMessage } from "../ui/ErrorMessage";
import { usePageTitle } from "../ui/usePageTitle";

export function SignInPage() {
  usePageTitle("Sign in");
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const session = useSession();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);

  if (session && !busy) return <Navigate to={next} replace />;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
      navigate(next, { replace: true });
    } catch (e) {
      setError(e as CombinedError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <form className="card signin-card" onSubmit={onSubmit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Braid</h1>
        {params.get("expired") && (
          <p className="notice" role="status">
            Your session has expired. Sign in again to go back to where you were.
          </p>
        )}
        <label htmlFor="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && <ErrorMessage error={error} />}
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p>
          <Link to="/catalog">Browse the catalog without signing in</Link>
        </p>
      </form>
    </main>
  );
}
