// Cart, checkout and orders: buy two products and watch the order page reach COMPLETED without
// a reload, by the orderUpdated subscription (every step of the saga shown); the order page
// catching up after its socket was closed for an expired token, and asking every second when
// the gateway has no subscriptions; cancel an order before it ships (its stock comes back); a
// double click and a retry after a lost answer place one order; the order history, its status
// filter, and the open history following a new order by subscription.
import { expect, test, type APIRequestContext, type Locator, type Page, type WebSocket, type WebSocketRoute } from "@playwright/test";
import { apiToken, checkScreen, signIn } from "./helpers";

/** The demo's saga: reserve, pay, commit, a handling window of ~5 s, then ~700 ms per shipping step. */
const SAGA_TIMEOUT = 40_000;

type Product = { id: string; name: string; price: { amount: string; currency: string }; inventory: { available: number } };

/** A GraphQL request as the CEO, for setting up and for checking what the screens claim. */
async function api<T = Record<string, unknown>>(
  request: APIRequestContext,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await request.post("/graphql", { headers: { authorization: `Bearer ${token}` }, data: { query, variables } });
  const body = await response.json();
  expect(body.errors ?? [], JSON.stringify(body.errors)).toEqual([]);
  return body.data as T;
}

/** Products in stock (plenty of it), in one currency, the cheapest first; `skip` leaves some for other tests. */
async function productsInStock(
  request: APIRequestContext,
  token: string,
  count: number,
  skip: number,
  fewerThan = Infinity,
): Promise<Product[]> {
  const data = await api<{ products: { edges: { node: Product }[] } }>(
    request,
    token,
    `query { products(first: 100, sort: NAME) { edges { node { id name price { amount currency } inventory { available } } } } }`,
  );
  const plenty = data.products.edges.map((e) => e.node).filter((p) => p.inventory.available >= 20 && p.inventory.available < fewerThan);
  const currency = plenty[0]?.price.currency;
  const chosen = plenty.filter((p) => p.price.currency === currency).slice(skip, skip + count);
  expect(chosen).toHaveLength(count);
  return chosen;
}

async function clearCart(request: APIRequestContext, token: string) {
  await api(request, token, "mutation { clearCart { itemCount } }");
}

async function orderCount(request: APIRequestContext, token: string, status?: string): Promise<number> {
  const data = await api<{ myOrders: { totalCount: number } }>(
    request,
    token,
    "query($status: OrderStatus) { myOrders(first: 1, status: $status) { totalCount } }",
    { status: status ?? null },
  );
  return data.myOrders.totalCount;
}

/** Adds units of a product on its page; waits for the confirmation. */
async function addOnProductPage(page: Page, product: Product, quantity: number) {
  await page.goto(`/catalog/${product.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(product.name);
  await page.getByLabel("Quantity", { exact: true }).fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added." })).toBeVisible();
}

/** The "Available" figure on a product's page. */
function available(page: Page) {
  return page.locator(".facts > div").filter({ has: page.locator("dt", { hasText: /^Available$/ }) }).locator("dd");
}

const ADDRESS = { "Full name": "Ada Buyer", Address: "Friedrichstraße 1", City: "Berlin", "Postal code": "10117", "Country code": "DE" };

async function fillAddress(page: Page) {
  for (const [label, value] of Object.entries(ADDRESS)) await page.getByLabel(label, { exact: true }).fill(value);
}

/** The amount a price shows ("Total €1,234.50" is 1234.5) becomes `value`. */
async function expectAmount(locator: Locator, value: number) {
  await expect.poll(async () => Number((await locator.textContent())?.replace(/[^0-9.]/g, ""))).toBeCloseTo(value, 2);
}

const cartCount = (page: Page) => page.getByTestId("cart-count");
const status = (page: Page) => page.getByTestId("order-status");

test("buy two products and watch the order page reach COMPLETED without reloading", async ({ page, request }) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  await clearCart(request, token);
  const [first, second] = await productsInStock(request, token, 2, 0);
  await signIn(page, "ceo");
  await expect(cartCount(page)).toHaveText("0");

  await addOnProductPage(page, first!, 1);
  await expect(cartCount(page)).toHaveText("1");
  await checkScreen(page, "product-buy");
  await addOnProductPage(page, second!, 1);
  await expect(cartCount(page)).toHaveText("2");

  await page.getByRole("link", { name: /^Cart, 2 items$/ }).click();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  const lines = page.getByRole("list", { name: "Products in your cart" }).getByRole("listitem");
  await expect(lines).toHaveCount(2);
  await expect(lines.filter({ hasText: first!.name })).toBeVisible();
  await expect(lines.filter({ hasText: second!.name })).toBeVisible();
  await expect(page.getByTestId("cart-items")).toHaveText("2 items");
  await checkScreen(page, "cart");

  // Three of the first product: the line, the totals and the header follow without a reload.
  const line = lines.filter({ hasText: first!.name });
  await line.getByLabel("Quantity", { exact: true }).fill("3");
  await line.getByRole("button", { name: "Update" }).click();
  await expect(page.getByTestId("cart-items")).toHaveText("4 items");
  await expect(cartCount(page)).toHaveText("4");
  await expectAmount(line.getByTestId("line-total"), Number(first!.price.amount) * 3);
  const total = Number(first!.price.amount) * 3 + Number(second!.price.amount);
  await expectAmount(page.getByTestId("cart-total"), total);

  await page.getByRole("link", { name: "Check out" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();
  // What the API requires, checked before sending: the street and a two-letter country.
  await page.getByLabel("Full name", { exact: true }).fill("Ada Buyer");
  await page.getByLabel("Country code").fill("D");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByText("Enter the address.")).toBeVisible();
  await expect(page.getByLabel("Address", { exact: true })).toBeFocused();
  await expect(page.getByText("Enter a two-letter country code, for example DE.")).toBeVisible();
  await expect(page).toHaveURL(/\/checkout$/);
  await checkScreen(page, "checkout");
  await fillAddress(page);
  // What reaches the page: the order asked for over HTTP, and the subscription's updates on the
  // WebSocket.
  const orderQueries: number[] = [];
  page.on("request", (r) => {
    // Queries go as GET (urql's default when they fit in a URL), mutations as POST.
    const url = new URL(r.url());
    const query = url.searchParams.get("query") ?? r.postData() ?? "";
    if (url.pathname === "/graphql" && query.includes("query OrderDetail")) orderQueries.push(Date.now());
  });
  const updates: string[] = [];
  const sockets: WebSocket[] = [];
  page.on("websocket", (socket) => {
    sockets.push(socket);
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type: string; payload?: { data?: { orderUpdated?: { status: string } } } };
      const status = message.type === "next" ? message.payload?.data?.orderUpdated?.status : undefined;
      if (status) updates.push(status);
    });
  });
  const placing = page.waitForRequest((r) => r.url().endsWith("/graphql") && (r.postData() ?? "").includes("placeOrder"));
  await page.getByRole("button", { name: "Place order" }).click();
  // The click starts the checkout's trace: a sampled W3C traceparent the gateway continues.
  expect((await placing).headers()["traceparent"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

  await expect(page).toHaveURL(/\/orders\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);
  await expect(page.getByText("Updating live")).toBeVisible();
  await expect(cartCount(page)).toHaveText("0");
  await expectAmount(page.getByTestId("order-total"), total);
  await expect(page.getByText(`3 × ${first!.name}`)).toBeVisible();
  await expect(page.getByText(`1 × ${second!.name}`)).toBeVisible();
  // A reload would lose this mark.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await expect(status(page)).toHaveText("Completed", { timeout: SAGA_TIMEOUT });
  const timeline = page.getByTestId("timeline");
  for (const step of [
    "Order placed",
    "Reserve stock",
    "Take payment",
    "Take the stock",
    "Create the shipment",
    "Shipment moved",
    "Order completed",
  ]) {
    await expect(timeline.getByText(step, { exact: true }).first()).toBeVisible();
  }
  for (const moved of ["In transit", "Out for delivery", "Delivered"]) {
    await expect(timeline.getByText(moved, { exact: true }).first()).toBeVisible();
  }
  await expect(page.getByTestId("shipment-status")).toHaveText("Delivered");
  await expect(page.getByTestId("shipment").getByText("Carrier")).toBeVisible();
  await expect(page.getByText("Updating live")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel order" })).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  // It came by the subscription: the saga's steps arrived as orderUpdated messages, and over
  // HTTP the page asked for the order only when it opened and once when the socket connected
  // (polling would have asked every second of the ~10 s saga).
  expect(updates.at(-1), "the last orderUpdated message").toBe("COMPLETED");
  expect(orderQueries.length, "order queries over HTTP").toBeLessThanOrEqual(2);
  console.log(`order page: ${updates.join(" ")}; ${orderQueries.length} order queries over HTTP`);
  // Final: the subscription ends (and with it the socket), and the page stops asking.
  await expect.poll(() => sockets.length > 0 && sockets.every((socket) => socket.isClosed())).toBe(true);
  const asked = orderQueries.length;
  await page.waitForTimeout(2_500);
  expect(orderQueries.length, "order requests after COMPLETED").toBe(asked);
  await checkScreen(page, "order");

  await page.getByRole("link", { name: "Cart, 0 items" }).click();
  await expect(page.getByText("Your cart is empty.")).toBeVisible();
  await checkScreen(page, "cart-empty");
});

test("the order page catches up after its socket closed for an expired token and stayed down", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  await clearCart(request, token);
  const [product] = await productsInStock(request, token, 1, 6);
  await api(request, token, "mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { itemCount } }", { id: product!.id });
  const placed = await api<{ placeOrder: { id: string } }>(
    request,
    token,
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
    {
      input: {
        idempotencyKey: `catch-up-${Date.now()}`,
        shippingAddress: { name: "Ada Buyer", line1: "Friedrichstraße 1", city: "Berlin", postalCode: "10117", country: "DE" },
      },
    },
  );
  const id = placed.placeOrder.id;
  const statusNow = async () =>
    (await api<{ order: { status: string } }>(request, token, "query($id: ID!) { order(id: $id) { status } }", { id })).order
      .status;

  // The first socket is closed as the gateway closes it when the token expires (4403); the next
  // one is held (no answer to its connection_init) until the order is COMPLETED, so no update
  // can reach the page by the subscription after that.
  let sockets = 0;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const afterRelease: string[] = [];
  await page.routeWebSocket(/\/graphql$/, async (socket) => {
    sockets++;
    if (sockets === 1) {
      const server = socket.connectToServer();
      server.onMessage((message) => {
        socket.send(message);
        if (String(message).includes('"type":"connection_ack"')) {
          // (Closing the page's side closes the gateway's too.)
          setTimeout(() => void socket.close({ code: 4403, reason: "the token has expired" }), 1_000);
        }
      });
      return;
    }
    const early: (string | Buffer)[] = [];
    let server: WebSocketRoute | null = null;
    socket.onMessage((message) => (server ? server.send(message) : early.push(message)));
    await released;
    server = socket.connectToServer();
    server.onMessage((message) => {
      afterRelease.push(String(message));
      socket.send(message);
    });
    for (const message of early) server.send(message);
  });
  const refreshes: number[] = [];
  const orderQueries: number[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    const query = url.searchParams.get("query") ?? r.postData() ?? "";
    if (url.pathname !== "/graphql") return;
    if (query.includes("mutation Refresh")) refreshes.push(Date.now());
    if (query.includes("query OrderDetail")) orderQueries.push(Date.now());
  });

  await signIn(page, "ceo");
  await page.goto(`/orders/${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await expect(page.getByText("Reconnecting for live updates")).toBeVisible({ timeout: 10_000 });
  expect(sockets).toBe(2);
  await expect.poll(statusNow, { timeout: SAGA_TIMEOUT, intervals: [1_000] }).toBe("COMPLETED");
  await expect(status(page)).not.toHaveText("Completed");
  const queriesBefore = orderQueries.length;
  release();

  await expect(status(page)).toHaveText("Completed");
  await expect(page.getByTestId("timeline").getByText("Order completed", { exact: true })).toBeVisible();
  await expect(page.getByText(/Updating live|Reconnecting/)).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  // A socket closed for its token connects again with a fresh one.
  expect(refreshes.length).toBeGreaterThan(0);
  // By the one query after the reconnection, not by an update.
  expect(orderQueries.length - queriesBefore).toBe(1);
  expect(afterRelease.some((message) => message.includes("orderUpdated"))).toBe(false);
});

test("without subscriptions (SUBSCRIPTION_UNAVAILABLE) the order page asks every second until COMPLETED", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  await clearCart(request, token);
  const [product] = await productsInStock(request, token, 1, 8);
  await api(request, token, "mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { itemCount } }", { id: product!.id });
  const placed = await api<{ placeOrder: { id: string } }>(
    request,
    token,
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
    {
      input: {
        idempotencyKey: `no-events-${Date.now()}`,
        shippingAddress: { name: "Ada Buyer", line1: "Friedrichstraße 1", city: "Berlin", postalCode: "10117", country: "DE" },
      },
    },
  );
  // A gateway that reads no events: it accepts the socket and refuses each subscription.
  await page.routeWebSocket(/\/graphql$/, (socket) => {
    socket.onMessage((message) => {
      const { type, id } = JSON.parse(String(message)) as { type: string; id?: string };
      if (type === "connection_init") socket.send(JSON.stringify({ type: "connection_ack" }));
      if (type === "subscribe") {
        const error = { message: "this gateway reads no events", extensions: { code: "SUBSCRIPTION_UNAVAILABLE" } };
        socket.send(JSON.stringify({ type: "error", id, payload: [error] }));
      }
    });
  });
  const orderQueries: number[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname === "/graphql" && (url.searchParams.get("query") ?? "").includes("query OrderDetail")) orderQueries.push(Date.now());
  });

  await signIn(page, "ceo");
  await page.goto(`/orders/${placed.placeOrder.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await expect(page.getByText("Updating every second")).toBeVisible();
  await expect(status(page)).toHaveText("Completed", { timeout: SAGA_TIMEOUT });
  await expect(page.getByTestId("timeline").getByText("Order completed", { exact: true })).toBeVisible();
  await expect(page.getByText("Updating every second")).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(orderQueries.length, "order queries while the saga ran").toBeGreaterThan(3);
  const asked = orderQueries.length;
  await page.waitForTimeout(2_500);
  expect(orderQueries.length, "order queries after COMPLETED").toBe(asked);
});

test("cancel an order before it ships: it ends CANCELLED and the stock comes back", async ({ page, request }) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  await clearCart(request, token);
  const [product] = await productsInStock(request, token, 1, 2);
  await signIn(page, "ceo");

  await page.goto(`/catalog/${product!.id}`);
  await expect(available(page)).not.toBeEmpty();
  const before = Number(await available(page).textContent());
  await addOnProductPage(page, product!, 2);
  await page.goto("/checkout");
  await fillAddress(page);
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);

  await page.getByRole("button", { name: "Cancel order" }).click();
  await page.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(status(page)).toHaveText("Cancelled", { timeout: SAGA_TIMEOUT });
  const timeline = page.getByTestId("timeline");
  await expect(timeline.getByText("Cancel the order", { exact: true }).first()).toBeVisible();
  await expect(timeline.getByText("Create the shipment", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel order" })).toHaveCount(0);
  await expect(page.getByText("Not shipped yet.")).toBeVisible();

  // A fresh page (nothing cached): what the catalog says now.
  await page.goto(`/catalog/${product!.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(product!.name);
  await expect(available(page)).toHaveText(String(before));
});

test("a double click, and a retry after a lost answer, place one order each", async ({ page, request }) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  await clearCart(request, token);
  const [product] = await productsInStock(request, token, 1, 3);
  // One whose whole stock is less than the most of one product a cart may hold (1,000).
  const [other] = await productsInStock(request, token, 1, 4, 900);
  await signIn(page, "ceo");
  const ordersBefore = await orderCount(request, token);

  // From a product card; then empty the cart and add again.
  await page.goto(`/catalog?q=${encodeURIComponent(product!.name)}`);
  const card = page.locator(".product-card").filter({ has: page.getByRole("link", { name: product!.name, exact: true }) });
  await card.getByRole("button", { name: `Add to cart: ${product!.name}` }).click();
  await expect(cartCount(page)).toHaveText("1");
  await expect(card.getByRole("link", { name: "View cart (1)" })).toBeVisible();
  await checkScreen(page, "catalog-signed-in");
  await page.goto("/cart");
  await page.getByRole("button", { name: "Empty cart" }).click();
  await page.getByRole("button", { name: "Yes, empty it" }).click();
  await expect(page.getByText("Your cart is empty.")).toBeVisible();
  await expect(cartCount(page)).toHaveText("0");

  await addOnProductPage(page, product!, 1);
  await page.goto("/checkout");
  await fillAddress(page);
  await page.getByRole("button", { name: "Place order" }).dblclick();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);
  const doubleClicked = (await page.getByRole("heading", { level: 1 }).textContent()) ?? "";
  expect(await orderCount(request, token)).toBe(ordersBefore + 1);

  // The answer to the first placeOrder is lost (the order was placed); "Place order" again
  // sends the same idempotency key and opens that order.
  await addOnProductPage(page, other!, 1);
  await addOnProductPage(page, product!, 1);
  await page.goto("/cart");
  // More than the stock: the API's OUT_OF_STOCK, in words.
  const otherLine = page.getByRole("listitem").filter({ hasText: other!.name });
  await otherLine.getByLabel("Quantity", { exact: true }).fill(String(other!.inventory.available + 50));
  await otherLine.getByRole("button", { name: "Update" }).click();
  await expect(otherLine.getByRole("alert")).toHaveAttribute("data-code", "OUT_OF_STOCK");
  await expect(otherLine.getByRole("alert")).toContainText("There are not enough of this product in stock.");
  await expect(cartCount(page)).toHaveText("2");
  await otherLine.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("list", { name: "Products in your cart" }).getByRole("listitem")).toHaveCount(1);
  await page.goto("/checkout");
  await fillAddress(page);
  let lost = false;
  await page.route("**/graphql", async (route) => {
    if (!lost && route.request().postData()?.includes("placeOrder")) {
      lost = true;
      await route.fetch();
      await route.abort("connectionreset");
      return;
    }
    await route.fallback();
  });
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("alert")).toContainText("Can't reach the server");
  await expect(page).toHaveURL(/\/checkout$/);
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Order BR-/);
  await expect(page.getByRole("heading", { level: 1 })).not.toHaveText(doubleClicked);
  await expect(page.getByText(`1 × ${product!.name}`)).toBeVisible();
  expect(await orderCount(request, token)).toBe(ordersBefore + 2);
  await page.unroute("**/graphql");

  await page.goto("/orders");
  await expect(page.locator(".results-count")).toHaveText(`${ordersBefore + 2} orders`);
});

test("order history lists the new orders, a page at a time, and filters by status", async ({ page, request }) => {
  const token = await apiToken(request, "ceo");
  // More than a page of orders (10), placed through the API.
  const [product] = await productsInStock(request, token, 1, 5);
  await clearCart(request, token);
  for (let n = await orderCount(request, token); n <= 10; n++) {
    await api(request, token, `mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { itemCount } }`, { id: product!.id });
    await api(request, token, "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }", {
      input: {
        idempotencyKey: `history-${Date.now()}-${n}`,
        shippingAddress: { name: "Ada Buyer", line1: "Friedrichstraße 1", city: "Berlin", postalCode: "10117", country: "DE" },
      },
    });
  }
  const total = await orderCount(request, token);
  const cancelled = await orderCount(request, token, "CANCELLED");
  expect(total).toBeGreaterThan(cancelled);
  const newest = await api<{ myOrders: { edges: { node: { number: string } }[] } }>(
    request,
    token,
    "query { myOrders(first: 3) { edges { node { number } } } }",
  );
  await signIn(page, "ceo");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Orders" }).click();
  await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
  await expect(page.locator(".results-count")).toHaveText(`${total} orders`);
  const rows = page.locator(".order-row");
  await expect(rows).toHaveCount(Math.min(total, 10));
  for (const [i, edge] of newest.myOrders.edges.entries()) {
    await expect(rows.nth(i).getByRole("link")).toHaveText(`Order ${edge.node.number}`);
  }
  await checkScreen(page, "orders");
  await page.getByRole("button", { name: "Show more orders" }).click();
  await expect(rows).toHaveCount(Math.min(total, 20));

  await page.getByLabel("Status").selectOption("CANCELLED");
  await expect(page).toHaveURL(/status=CANCELLED/);
  await expect(page.locator(".results-count")).toHaveText(cancelled === 1 ? "1 order" : `${cancelled} orders`);
  await expect(rows).toHaveCount(Math.min(cancelled, 10));
  for (const badge of await rows.locator(".badge").allTextContents()) expect(badge).toBe("Cancelled");

  await page.getByLabel("Status").selectOption("FAILED");
  const failed = await orderCount(request, token, "FAILED");
  if (failed === 0) await expect(page.getByText("You have no orders that are failed.")).toBeVisible();
  await checkScreen(page, "orders-filtered");

  await page.getByLabel("Status").selectOption("");
  await rows.first().getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Order ${newest.myOrders.edges[0]!.node.number}`);
});

test("the open order history shows a new order and follows its status, without reloading", async ({ page, request }) => {
  test.setTimeout(120_000);
  const token = await apiToken(request, "ceo");
  const [product] = await productsInStock(request, token, 1, 7);
  await clearCart(request, token);
  await signIn(page, "ceo");
  const subscribed = new Promise<void>((resolve) =>
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        if (String(payload).includes("subscription MyOrdersChanged")) resolve();
      }),
    ),
  );
  await page.goto("/orders");
  await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
  const total = await orderCount(request, token);
  await expect(page.locator(".results-count")).toHaveText(total === 1 ? "1 order" : `${total} orders`);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await subscribed;

  await api(request, token, "mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { itemCount } }", { id: product!.id });
  const placed = await api<{ placeOrder: { number: string } }>(
    request,
    token,
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { number } }",
    {
      input: {
        idempotencyKey: `live-history-${Date.now()}`,
        shippingAddress: { name: "Ada Buyer", line1: "Friedrichstraße 1", city: "Berlin", postalCode: "10117", country: "DE" },
      },
    },
  );
  const row = page.locator(".order-row").first();
  await expect(row.getByRole("link")).toHaveText(`Order ${placed.placeOrder.number}`);
  await expect(page.locator(".results-count")).toHaveText(`${total + 1} orders`);
  await expect(row.locator(".badge")).toHaveText("Completed", { timeout: SAGA_TIMEOUT });
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
