// Admin (scope catalog:write): shown to the CEO, with low-stock alerts as they happen; absent for
// the individual contributor, and the API refuses the individual contributor's mutation when it
// is sent anyway.
import { expect, test } from "@playwright/test";
import { apiToken, checkScreen, createProduct, gql, signIn } from "./helpers";

test("the CEO has the admin screens", async ({ page }) => {
  await signIn(page, "ceo");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("heading", { name: "Catalog admin" })).toBeVisible();
  await expect(page.getByRole("form", { name: "New product" })).toBeVisible();
  await expect(page.getByLabel("Category")).not.toHaveText("Choose a category");
  await checkScreen(page, "admin");

  await page.getByLabel("Name or SKU").fill("a");
  await page.getByRole("button", { name: "Find", exact: true }).click();
  const product = page.locator(".found li").first();
  await expect(product).toBeVisible();
  await product.getByRole("link").click();
  await expect(page.getByRole("heading", { name: /^Edit / })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Stock" })).toBeVisible();
  await checkScreen(page, "admin-product");
});

test("a stock change that leaves a product at or below its threshold shows an alert on the admin screen", async ({
  page,
  request,
}) => {
  await signIn(page, "ceo");
  // The page subscribes as it opens: wait until it has (alerts are events, not state).
  const subscribed = new Promise<void>((resolve) =>
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        if (String(payload).includes("subscription LowStock")) resolve();
      }),
    ),
  );
  await page.goto("/admin");
  const alerts = page.getByRole("log", { name: "Low-stock alerts" });
  await expect(page.getByText("No product has run low since this page was opened.")).toBeVisible();
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await subscribed;

  const token = await apiToken(request, "ceo");
  const name = `Low lamp ${Date.now().toString(36)}`;
  const id = await createProduct(request, token, { name, amount: "8.00", stock: 20, threshold: 5 });
  const adjust = (delta: number) =>
    gql(request, token, `mutation($id: ID!, $d: Int!) { adjustStock(productId: $id, delta: $d, reason: "test") { id } }`, {
      id,
      d: delta,
    });
  await adjust(-5); // 15 left: above the threshold, no alert
  await adjust(-11); // 4 left: at or below 5
  const alert = alerts.getByRole("listitem").filter({ hasText: name });
  await expect(alert).toHaveCount(1);
  await expect(alert).toContainText("4 left");
  await expect(alert).toContainText("at or below 5");
  await expect(page.getByText("No product has run low since this page was opened.")).toHaveCount(0);
  await adjust(-4); // out of stock: another alert, the newest first
  await expect(alert).toHaveCount(2);
  await expect(alert.first()).toContainText("Out of stock");
  await checkScreen(page, "admin-alerts");
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  await alert.first().getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name: `Edit ${name}` })).toBeVisible();
  await expect(page.getByText("On hand 0, reserved 0, available 0.")).toBeVisible();
});

test("the admin screens are absent for the individual contributor and the API refuses the action", async ({
  page,
  request,
}) => {
  await signIn(page, "ic");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" })).toHaveCount(0);
  await page.locator(".product-card a").first().click();
  await expect(page.getByText("SKU", { exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Edit product or stock" })).toHaveCount(0);
  await page.goto("/admin");
  await expect(page.getByRole("heading", { name: "Not available" })).toBeVisible();
  await expect(page.getByRole("form", { name: "New product" })).toHaveCount(0);
  await checkScreen(page, "admin-forbidden");

  // Forced: the mutation the admin screen would send, with the individual contributor's token.
  const sku = `FORCED-${Date.now()}`;
  const token = await apiToken(request, "ic");
  const forced = await request.post("/graphql", {
    headers: { authorization: `Bearer ${token}` },
    data: {
      query: `mutation { createProduct(input: { sku: "${sku}", name: "Forced", price: { amount: "1.00", currency: "EUR" }, categoryId: "1" }) { id } }`,
    },
  });
  const body = await forced.json();
  expect(body.data?.createProduct ?? null).toBeNull();
  expect(["FORBIDDEN", "UNAUTHENTICATED"]).toContain(body.errors?.[0]?.extensions?.code);

  await page.goto(`/catalog?q=${sku}`);
  await expect(page.getByText("No products match.")).toBeVisible();
});

test("an unknown page says so", async ({ page }) => {
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await checkScreen(page, "not-found");
});
