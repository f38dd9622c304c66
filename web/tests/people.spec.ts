// People: the org below the viewer as a tree, each level fetched when it is opened.
import { expect, test } from "@playwright/test";
import { checkScreen, signIn } from "./helpers";

test("the CEO opens the org tree level by level; the individual contributor has no reports", async ({ page }) => {
  await signIn(page, "ceo");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "People" }).click();
  const top = page.locator(".org-tree > li");
  await expect(top.first()).toBeVisible();
  expect(await top.count()).toBeGreaterThan(1);

  // Queries go out as GET requests (urql's default when the URL is short enough).
  const requests: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/graphql") requests.push(`${request.url()} ${request.postData() ?? ""}`);
  });
  const vp = top.first().getByRole("button").first();
  await expect(vp).toHaveAttribute("aria-expanded", "false");
  await vp.click();
  await expect(vp).toHaveAttribute("aria-expanded", "true");
  const second = top.first().locator(".org-level > li");
  await expect(second.first()).toBeVisible();
  expect(requests.some((body) => body.includes("DirectReports"))).toBe(true);

  const director = second.first().getByRole("button").first();
  await director.press("Enter");
  await expect(second.first().locator(".org-level > li").first()).toBeVisible();
  await checkScreen(page, "people");

  await vp.click();
  await expect(second).toHaveCount(0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, "ic");
  await page.goto("/people");
  await expect(page.getByText("Nobody reports to you.")).toBeVisible();
});
