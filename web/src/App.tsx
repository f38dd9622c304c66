// The routes. The catalog is public; documents, people, the cart and orders need a session; admin needs the
// `catalog:write` scope, grants the `admin` scope. Screens other than the catalog load on first use.
import { lazy, Suspense, useEffect, useMemo } from "react";
import { Navigate, Route, Routes } from "react-router";
import { Provider } from "urql";
import { createClient } from "./api/client";
import { liveSocketOf } from "./api/live";
import { RequireAuth, RequireScope } from "./auth/guards";
import { SessionKeeper } from "./auth/SessionKeeper";
import { useSession } from "./auth/useSession";
import { CatalogPage } from "./catalog/CatalogPage";
import { ProductPage } from "./catalog/ProductPage";
import { SignInPage } from "./signin/SignInPage";
import { Layout } from "./ui/Layout";
import { Loading } from "./ui/Loading";
import { NotFoundPage } from "./ui/NotFoundPage";

const DocumentsPage = lazy(() => import("./documents/DocumentsPage").then((m) => ({ default: m.DocumentsPage })));
const DocumentPage = lazy(() => import("./documents/DocumentPage").then((m) => ({ default: m.DocumentPage })));
const NewDocumentPage = lazy(() => import("./documents/NewDocumentPage").then((m) => ({ default: m.NewDocumentPage })));
const EditDocumentPage = lazy(() =>
  import("./documents/EditDocumentPage").then((m) => ({ default: m.EditDocumentPage })),
);
const PeoplePage = lazy(() => import("./people/PeoplePage").then((m) => ({ default: m.PeoplePage })));
const CartPage = lazy(() => import("./orders/CartPage").then((m) => ({ default: m.CartPage })));
const CheckoutPage = lazy(() => import("./orders/CheckoutPage").then((m) => ({ default: m.CheckoutPage })));
const OrdersPage = lazy(() => import("./orders/OrdersPage").then((m) => ({ default: m.OrdersPage })));
const OrderPage = lazy(() => import("./orders/OrderPage").then((m) => ({ default: m.OrderPage })));
const AdminPage = lazy(() => import("./admin/AdminPage").then((m) => ({ default: m.AdminPage })));
const GrantsPage = lazy(() => import("./admin/GrantsPage").then((m) => ({ default: m.GrantsPage })));
const EditProductPage = lazy(() => import("./admin/EditProductPage").then((m) => ({ default: m.EditProductPage })));

export function App() {
  const session = useSession();
  // One client, and so one cache, per sign-in: nothing cached for one user is shown to another.
  const startedAt = session?.startedAt ?? 0;
  const client = useMemo(() => createClient(), [startedAt]);
  // The previous sign-in's socket closes with its client (its subscriptions were the old user's).
  useEffect(() => () => liveSocketOf(client)?.dispose(), [client]);

  return (
    <Provider value={client}>
      <SessionKeeper />
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/signin" element={<SignInPage />} />
          <Route element={<Layout />}>
            <Route index element={<Navigate to="/catalog" replace />} />
            <Route path="catalog" element={<CatalogPage />} />
            <Route path="catalog/:id" element={<ProductPage />} />
            <Route element={<RequireAuth />}>
              <Route path="documents" element={<DocumentsPage />} />
              <Route path="documents/new" element={<NewDocumentPage />} />
              <Route path="documents/:id" element={<DocumentPage />} />
              <Route path="documents/:id/edit" element={<EditDocumentPage />} />
              <Route path="people" element={<PeoplePage />} />
              <Route path="cart" element={<CartPage />} />
              <Route path="checkout" element={<CheckoutPage />} />
              <Route path="orders" element={<OrdersPage />} />
              <Route path="orders/:id" element={<OrderPage />} />
              <Route element={<RequireScope scope="catalog:write" />}>
                <Route path="admin" element={<AdminPage />} />
                <Route path="admin/products/:id" element={<EditProductPage />} />
              </Route>
              <Route element={<RequireScope scope="admin" />}>
                <Route path="grants" element={<GrantsPage />} />
              </Route>
            </Route>
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </Suspense>
    </Provider>
  );
}
