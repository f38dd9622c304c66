// The catalog: browse by category, search, filter by price, page through, open a product, and
// see its price and stock change while its page is open.
import { expect, test, type Page } from "@playwright/test";
import { apiToken, checkScreen, createProduct, gql, graphqlText } from "./helpers";

const cards = (page: Page) => page.locator(".product-card");
const count = (page: Page) => page.locator(".results-count");

/** The amounts of the prices shown, as numbers ("€1,234.50" is 1234.5). */
async function prices(page: Page): Promise<number[]> {
  const texts = await page.locator(".product-card .price").allTextContents();
  return texts.map((text) => Number(text.replace(/[^0-9.]/g, "")));
}

test("browse by category and page through the results", async ({ page }) => {
  await page.goto("/catalog");
  await expect(cards(page)).toHaveCount(24);
  await checkScreen(page, "catalog");
  const total = Number((await count(page).textContent())?.replace(/\D/g, ""));
  expect(total).toBeGreaterThan(24);

  const categories = page.getByRole("navigation", { name: "Categories" }).getByRole("link");
  const category = categories.nth(2);
  const name = (await category.textContent()) ?? "";
  await category.click();
  await expect(category).toHaveAttribute("aria-current", "page");
  await expect(page).toHaveURL(/category=/);
  await expect(page.locator(".product-card .muted").first()).toHaveText(name);
  const inCategory = Number((await count(page).textContent())?.replace(/\D/g, ""));
  expect(inCategory).toBeLessThan(total);
  for (const shown of await page.locator(".product-card .muted").allTextContents()) expect(shown).toBe(name);

  if (inCategory > 24) {
    await page.getByRole("button", { name: "Show more products" }).click();
    await expect(cards(page)).toHaveCount(Math.min(48, inCategory));
    for (const shown of await page.locator(".product-card .muted").allTextContents()) expect(shown).toBe(name);
  }
});

test("search finds a product by its name, and a search without a match says so", async ({ page }) => {
  await page.goto("/catalog?sort=PRICE_DESC");
  await expect(cards(page)).toHaveCount(24);
  const wanted = (await cards(page).nth(3).getByRole("heading").textContent()) ?? "";
  await page.getByLabel("Search", { exact: true }).fill(wanted);
  await expect(page).toHaveURL(/q=/);
  await expect(cards(page).getByRole("heading", { name: wanted, exact: true })).toBeVisible();
  const found = Number((await count(page).textContent())?.replace(/\D/g, ""));
  expect(found).toBeGreaterThanOrEqual(1);
  expect(found).toBeLessThan(24);

  await page.getByLabel("Search", { exact: true }).fill("no product is called this");
  await expect(page.getByText("No products match.")).toBeVisible();
  await expect(count(page)).toHaveText("0 products");
});

test("filter by price and open a product", async ({ page }) => {
  await page.goto("/catalog");
  await expect(cards(page)).toHaveCount(24);
  await page.getByLabel("Min price").fill("20");
  await page.getByLabel("Max price").fill("60");
  await page.getByLabel("Sort").selectOption("PRICE_ASC");
  await expect(page).toHaveURL(/min=20&max=60&sort=PRICE_ASC/);
  await expect(async () => {
    const shown = await prices(page);
    expect(shown.length).toBeGreaterThan(0);
    for (const price of shown) expect(price >= 20 && price <= 60, `${price} within 20..60`).toBe(true);
    expect([...shown].sort((a, b) => a - b)).toEqual(shown);
  }).toPass();

  const first = cards(page).first().getByRole("link");
  const name = (await first.textContent()) ?? "";
  await first.click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await expect(page.getByText("SKU", { exact: true })).toBeVisible();
  await expect(page.locator(".badge")).toBeVisible();
  await checkScreen(page, "product");

  await page.goBack();
  await expect(page).toHaveURL(/min=20&max=60&sort=PRICE_ASC/);
  await expect(page.getByLabel("Min price")).toHaveValue("20");
});

test("a product's page shows a new price and stock as the admin changes them, without reloading", async ({
  page: visitor,
  request,
}) => {
  const token = await apiToken(request, "ceo");
  const name = `Live lamp ${Date.now().toString(36)}`;
  const id = await createProduct(request, token, { name, amount: "10.00", stock: 50, threshold: 5 });

  // A visitor (not signed in) on the product's page.
  const errors: string[] = [];
  visitor.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  visitor.on("pageerror", (error) => errors.push(error.message));
  const productQueries: number[] = [];
  visitor.on("request", (r) => {
    if (graphqlText(r.url(), r.postData())?.includes("query ProductDetail")) productQueries.push(Date.now());
  });
  const pushed: string[] = [];
  visitor.on("websocket", (socket) =>
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type: string; payload?: { data?: Record<string, unknown> } };
      if (message.type === "next") pushed.push(...Object.keys(message.payload?.data ?? {}));
    }),
  );
  await visitor.goto(`/catalog/${id}`);
  await expect(visitor.getByRole("heading", { level: 1 })).toHaveText(name);
  const price = visitor.locator(".price.large");
  const available = visitor.locator(".facts > div").filter({ has: visitor.locator("dt", { hasText: /^Available$/ }) }).locator("dd");
  await expect(price).toHaveText(/10\.00/);
  await expect(available).toHaveText("50");
  await expect(visitor.locator(".product .badge")).toHaveText("In stock");
  await visitor.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  // The page has subscribed (and asked once more after connecting) before the admin acts.
  await expect.poll(() => productQueries.length).toBe(2);

  // The admin changes the price, then takes most of the stock out (through the API, as the
  // admin screens would).
  await gql(request, token, `mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: "12.50", currency: "EUR" } }) { id } }`, { id });
  await expect(price).toHaveText(/12\.50/);
  await expect(available).toHaveText("50");
  await gql(request, token, `mutation($id: ID!) { adjustStock(productId: $id, delta: -47, reason: "test") { id } }`, { id });
  await expect(available).toHaveText("3");
  await expect(visitor.locator(".product .badge")).toHaveText("Only 3 left");
  await checkScreen(visitor, "product-live");

  expect(await visitor.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  // By the subscriptions: nothing asked for over HTTP since, both kinds of update pushed.
  expect(productQueries).toHaveLength(2);
  expect(pushed).toContain("productChanged");
  expect(pushed).toContain("stockChanged");
  expect(errors, "console errors (a refused WebSocket would show here)").toEqual([]);
});

test("a subscription the gateway ends as lagged is opened again, and the product page stays current", async ({
  page,
  request,
}) => {
  const token = await apiToken(request, "ceo");
  const name = `Lagging lamp ${Date.now().toString(36)}`;
  const id = await createProduct(request, token, { name, amount: "20.00", stock: 30, threshold: 5 });
  // The gateway's socket, except that the first productChanged subscription is ended at once as
  // the gateway ends one whose client fell behind.
  let ended = false;
  const reopened: string[] = [];
  await page.routeWebSocket(/\/graphql$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => {
      const parsed = JSON.parse(String(message)) as { type: string; id?: string; payload?: { query?: string } };
      const isProductChanged = parsed.type === "subscribe" && !!parsed.payload?.query?.includes("subscription ProductChanged");
      if (isProductChanged && !ended) {
        ended = true;
        const error = { message: "this subscription fell too far behind", extensions: { code: "SUBSCRIBER_LAGGED" } };
        socket.send(JSON.stringify({ type: "error", id: parsed.id, payload: [error] }));
        return;
      }
      if (isProductChanged) reopened.push(parsed.id ?? "");
      server.send(message);
    });
  });
  const productQueries: number[] = [];
  page.on("request", (r) => {
    if (graphqlText(r.url(), r.postData())?.includes("query ProductDetail")) productQueries.push(Date.now());
  });

  await page.goto(`/catalog/${id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  // Opened again, then the product asked for once more (what the ended subscription missed).
  await expect.poll(() => reopened.length).toBe(1);
  await expect.poll(() => productQueries.length).toBe(3);
  await expect(page.getByRole("alert")).toHaveCount(0);

  await gql(request, token, `mutation($id: ID!) { updateProduct(id: $id, input: { price: { amount: "24.00", currency: "EUR" } }) { id } }`, { id });
  await expect(page.locator(".price.large")).toHaveText(/24\.00/);
  expect(productQueries).toHaveLength(3);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});
