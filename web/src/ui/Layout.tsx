// The frame of every signed-in or public page: a skip link, the header with the navigation and
// the account menu (with the cart and how many items it holds), and the page itself.
import { Link, NavLink, Outlet, useNavigate } from "react-router";
import { signOut } from "../auth/session";
import { useSession } from "../auth/useSession";
import { useViewer } from "../auth/useViewer";
import { CartLink } from "../orders/CartLink";

export function Layout() {
  const session = useSession();
  const { viewer, hasScope } = useViewer();
  const navigate = useNavigate();

  const onSignOut = async () => {
    await signOut();
    navigate("/signin");
  };

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/catalog" className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          Braid
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/catalog">Catalog</NavLink>
            </li>
            {session && (
              <>
                <li>
                  <NavLink to="/documents">Documents</NavLink>
                </li>
                <li>
                  <NavLink to="/people">People</NavLink>
                </li>
                <li>
                  <NavLink to="/orders">Orders</NavLink>
                </li>
              </>
            )}
            {hasScope("catalog:write") && (
              <li>
                <NavLink to="/admin">Admin</NavLink>
              </li>
            )}
            {hasScope("admin") && (
              <li>
                <NavLink to="/grants">Grants</NavLink>
              </li>
            )}
          </ul>
        </nav>
        <div className="account">
          {session ? (
            <>
              <CartLink />
              <span className="who" data-testid="viewer-name">
                {viewer?.name ?? ""}
              </span>
              <button type="button" className="button secondary" onClick={onSignOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link to="/signin" className="button">
              Sign in
            </Link>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
