// Signing in and out, token refresh, and an expired session sending the user to sign-in with
// the page they were on remembered.
import { expect, test, type Page } from "@playwright/test";
import { checkScreen, PASSWORD, signIn, USERS, viewerName } from "./helpers";

const SESSION_KEY = "braid.session";

async function storedSession(page: Page) {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "null"), SESSION_KEY);
}

test("the CEO signs in, sees the admin area, and signs out", async ({ page }) => {
  await page.goto("/signin");
  await checkScreen(page, "sign-in");
  await signIn(page, "ceo");
  await expect(page).toHaveURL(/\/catalog$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Documents" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin$/);
  expect(await storedSession(page)).toBeNull();
  await page.goto("/documents");
  await expect(page).toHaveURL(/\/signin\?next=%2Fdocuments$/);
});

test("the individual contributor signs in without the admin area", async ({ page }) => {
  await signIn(page, "ic");
  expect(await viewerName(page)).not.toBe("");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "People" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);
});

test("a wrong password is told in words", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(USERS.ic);
  await page.getByLabel("Password").fill(`${PASSWORD}-wrong`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("That email and password don't match an account.");
  await expect(page).toHaveURL(/\/signin$/);
});

test("the access token is refreshed before it expires", async ({ page }) => {
  await signIn(page, "ic");
  const before = await storedSession(page);
  // Pretend the token expires in five seconds: the app refreshes it at once.
  await page.evaluate(
    ([key, session]) => localStorage.setItem(key, JSON.stringify({ ...session, expiresAt: Date.now() + 5_000 })),
    [SESSION_KEY, before] as const,
  );
  await page.goto("/people");
  await expect.poll(async () => (await storedSession(page))?.refreshToken).not.toBe(before.refreshToken);
  const after = await storedSession(page);
  expect(after.accessToken).not.toBe(before.accessToken);
  expect(after.expiresAt - Date.now()).toBeGreaterThan(60_000);
  expect(after.startedAt).toBe(before.startedAt);
  await expect(page.getByRole("heading", { name: "My reports" })).toBeVisible();
  await expect(page.getByText("Nobody reports to you.")).toBeVisible();
});

test("a token the gateway refuses is refreshed and the request retried", async ({ page }) => {
  await signIn(page, "ceo");
  const session = await storedSession(page);
  await page.evaluate(
    ([key, s]) => localStorage.setItem(key, JSON.stringify({ ...s, accessToken: "not-a-token" })),
    [SESSION_KEY, session] as const,
  );
  await page.goto("/people");
  await expect(page.getByRole("heading", { name: "My reports" })).toBeVisible();
  await expect(page.locator(".org-tree > li").first()).toBeVisible();
  expect((await storedSession(page)).accessToken).not.toBe("not-a-token");
});

test("an expired session goes to sign-in and back to the page it was on", async ({ page }) => {
  await signIn(page, "ic");
  const session = await storedSession(page);
  // Both tokens are dead: the access token expired and the refresh token was already used.
  await page.evaluate(
    ([key, s]) =>
      localStorage.setItem(
        key,
        JSON.stringify({ ...s, accessToken: "expired", refreshToken: "used", expiresAt: Date.now() - 1_000 }),
      ),
    [SESSION_KEY, session] as const,
  );
  await page.goto("/documents?view=all");
  await expect(page).toHaveURL(/\/signin\?next=%2Fdocuments%3Fview%3Dall&expired=1$/);
  await expect(page.getByText("Your session has expired.")).toBeVisible();
  await page.getByLabel("Email").fill(USERS.ic);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/documents\?view=all$/);
  await expect(page.getByRole("link", { name: "Everything I can see" })).toHaveAttribute("aria-current", "page");
});

test("sign in and open the documents with the keyboard alone", async ({ page }) => {
  await page.goto("/signin");
  await expect(page.getByLabel("Email")).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(USERS.ic);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("viewer-name")).not.toBeEmpty();
  await expect(page.getByRole("heading", { name: "Catalog", level: 1 })).toBeVisible();

  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  const documents = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" });
  for (let i = 0; i < 10 && !(await documents.evaluate((link) => link === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(documents).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Documents", level: 1 })).toBeVisible();
});
