// What the tests share: signing in through the UI, and the check every screen gets (axe-core
// finds no serious or critical accessibility violation, at desktop and at phone width, and a
// screenshot of each width goes to web/screenshots/).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const PASSWORD = "braid-demo";
export const USERS = { ceo: "ceo@demo.braid", ic: "ic@demo.braid" } as const;
export type User = keyof typeof USERS;

export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 812 };

/** Signs in through the sign-in screen and waits for the header to show who is signed in. */
export async function signIn(page: Page, user: User) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(USERS[user]);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("viewer-name")).not.toBeEmpty();
}

/** The name of the signed-in user, as the header shows it. */
export async function viewerName(page: Page): Promise<string> {
  return (await page.getByTestId("viewer-name").textContent()) ?? "";
}

/** Tokens from the API itself, for requests the UI would never send. */
export async function apiToken(request: APIRequestContext, user: User): Promise<string> {
  const response = await request.post("/graphql", {
    data: {
      query: "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
      variables: { e: USERS[user], p: PASSWORD },
    },
  });
  const body = await response.json();
  return body.data.login.accessToken as string;
}

/** axe-core on the screen at both widths (no serious or critical violation), and screenshots. */
export async function checkScreen(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    const summary = serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(summary, `${name} at ${label} width`).toEqual([]);
    if (label === "phone") {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    }
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** A GraphQL request with a token; fails the test on any error (none is asked again). */
export async function gql<T = Record<string, unknown>>(
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

/** A product of this test's own (a token with catalog:write), so no other test moves its price or stock. */
export async function createProduct(
  request: APIRequestContext,
  token: string,
  values: { name: string; amount: string; stock: number; threshold: number },
): Promise<string> {
  const { categories } = await gql<{ categories: { id: string }[] }>(request, token, "query { categories { id } }");
  const data = await gql<{ createProduct: { id: string } }>(
    request,
    token,
    "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
    {
      input: {
        sku: `LIVE-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
        name: values.name,
        description: "Made by a test.",
        price: { amount: values.amount, currency: "EUR" },
        categoryId: categories[0]!.id,
        initialStock: values.stock,
        lowStockThreshold: values.threshold,
      },
    },
  );
  return data.createProduct.id;
}

/** What a page's GraphQL requests asked for: queries go as GET when they fit in a URL, the rest as POST. */
export function graphqlText(url: string, postData: string | null): string | null {
  const parsed = new URL(url);
  if (parsed.pathname !== "/graphql") return null;
  return parsed.searchParams.get("query") ?? postData ?? "";
}
