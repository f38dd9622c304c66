// Grants administration (scope admin): the CEO grants the individual contributor the CEO's own
// documents, the individual contributor then finds one of them, the grant is revoked and the
// document is out of reach again. Absent for the individual contributor.
import { expect, test, type Page } from "@playwright/test";
import { apiToken, checkScreen, gql, signIn, USERS, viewerName } from "./helpers";

/** Searches everything the signed-in user can see for `word`. */
async function searchAll(page: Page, word: string) {
  await page.goto(`/documents?view=all&q=${word}`);
  await expect(page.getByLabel("Search titles and text")).toHaveValue(word);
  await expect(page.locator('[aria-label="Documents"][aria-busy="false"]')).toBeVisible();
}

test("the CEO grants the individual contributor their documents, then revokes it", async ({ browser, request }) => {
  const ceoToken = await apiToken(request, "ceo");
  const word = `zg${Date.now().toString(36)}`;
  const { createDocument } = await gql<{ createDocument: { id: string } }>(
    request,
    ceoToken,
    "mutation($input: CreateDocumentInput!) { createDocument(input: $input) { id } }",
    { input: { title: `Strategy ${word}`, body: `Only for the board ${word}` } },
  );
  expect(createDocument.id).toBeTruthy();

  const ic = await (await browser.newContext()).newPage();
  await signIn(ic, "ic");
  const icName = await viewerName(ic);
  await expect(ic.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Grants" })).toHaveCount(0);
  await searchAll(ic, word);
  await expect(ic.getByText("No documents match this search.")).toBeVisible();

  const ceo = await (await browser.newContext()).newPage();
  await signIn(ceo, "ceo");
  const ceoName = await viewerName(ceo);
  await ceo.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Grants" }).click();
  await expect(ceo.getByRole("heading", { name: "Grants", level: 1 })).toBeVisible();
  const grants = ceo.getByRole("list", { name: "Grants" }).getByRole("listitem");
  await expect(grants.first()).toBeVisible();
  const before = await grants.count();
  await checkScreen(ceo, "grants");

  const form = ceo.getByRole("form", { name: "New grant" });
  // Nothing chosen: said before anything is sent.
  await form.getByRole("button", { name: "Create grant" }).click();
  await expect(form.getByRole("alert")).toHaveText("Choose who gets access.");
  await form.getByLabel("Grantee", { exact: true }).fill(icName);
  await form.getByRole("button", { name: "Find grantee" }).click();
  await form.locator(".found li", { hasText: USERS.ic }).getByRole("button", { name: `Choose ${icName}` }).click();
  await expect(form.getByTestId("grantee-chosen")).toHaveText(icName);
  await form.getByLabel("Owner", { exact: true }).fill(ceoName);
  await form.getByLabel("Owner", { exact: true }).press("Enter");
  await form.locator(".found li", { hasText: USERS.ceo }).getByRole("button", { name: `Choose ${ceoName}` }).click();
  await expect(form.getByTestId("target-chosen")).toHaveText(ceoName);
  await form.getByRole("button", { name: "Create grant" }).click();
  const granted = `Granted: ${icName} may see ${ceoName}'s documents.`;
  await expect(ceo.getByRole("status")).toHaveText(granted);
  await expect(grants).toHaveCount(before + 1);
  const row = grants.filter({ hasText: `${icName} may see ${ceoName}'s documents.` });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("No end date.");
  await checkScreen(ceo, "grants-created");

  try {
    // What the grant does: the CEO's document is among what the individual contributor can see.
    await searchAll(ic, word);
    const found = ic.locator(".document-row", { hasText: `Strategy ${word}` });
    await expect(found).toBeVisible();
    await expect(found.locator(".owner")).toHaveText(ceoName);

    await row.getByRole("button", { name: /^Revoke: / }).click();
    await row.getByRole("button", { name: "Yes, revoke it" }).click();
    await expect(ceo.getByRole("status")).toHaveText(`Revoked: ${icName} may no longer see ${ceoName}'s documents.`);
    await expect(grants).toHaveCount(before);

    await searchAll(ic, word);
    await expect(ic.getByText("No documents match this search.")).toBeVisible();
  } finally {
    // Other tests expect the individual contributor not to see the CEO's documents.
    const { grants: left } = await gql<{ grants: { id: string; granteeEmployee: { email: string } | null; targetEmployee: { email: string } | null }[] }>(
      request,
      ceoToken,
      "query { grants(all: true) { id granteeEmployee { email } targetEmployee { email } } }",
    );
    for (const grant of left.filter((g) => g.granteeEmployee?.email === USERS.ic && g.targetEmployee?.email === USERS.ceo)) {
      await gql(request, ceoToken, "mutation($id: ID!) { revokeGrant(id: $id) }", { id: grant.id });
    }
  }

  await ic.goto("/grants");
  await expect(ic.getByRole("heading", { name: "Not available" })).toBeVisible();
});
