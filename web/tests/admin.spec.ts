// Admin (scope catalog:write): shown to the CEO, absent for the individual contributor, and the
// API refuses the individual contributor's mutation when it is sent anyway.
import { expect, test } from "@playwright/test";
import { apiToken, checkScreen, signIn } from "./helpers";

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
