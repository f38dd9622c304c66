// Route guards: signed-in pages send signed-out users to sign-in (remembering the page), and
// scoped pages tell users without the scope that they may not use them.
import { Navigate, Outlet, useLocation } from "react-router";
import { Loading } from "../ui/Loading";
import { ErrorMessage } from "../ui/ErrorMessage";
import { endReason } from "./session";
import { signInPath } from "./redirect";
import { useSession } from "./useSession";
import { useViewer } from "./useViewer";

export function RequireAuth() {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const to = signInPath(location.pathname + location.search, endReason() === "expired");
    return <Navigate to={to} replace />;
  }
  return <Outlet />;
}

export function RequireScope({ scope }: { scope: string }) {
  const { viewer, fetching, error, hasScope } = useViewer();
  if (fetching) return <Loading label="Checking your permissions" />;
  if (error) return <ErrorMessage error={error} />;
  if (!viewer || !hasScope(scope)) {
    return (
      <section className="page" aria-labelledby="forbidden-title">
        <h1 id="forbidden-title">Not available</h1>
        <p className="notice">
          This page needs the <code>{scope}</code> permission, which your account does not have.
        </p>
      </section>
    );
  }
  return <Outlet />;
}
