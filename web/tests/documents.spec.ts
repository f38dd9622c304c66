// Documents: hierarchical visibility (a manager sees a subordinate's documents, not the other
// way round), search, create, edit with a conflict between two tabs, share, delete, lists that
// follow what others create, edit, share and delete while they are open, and an open document
// page that says who deleted it.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { checkScreen, signIn, USERS, viewerName, type User } from "./helpers";

/** A word no seeded document contains, so a full-text search finds only this test's document. */
const uniqueWord = () => `zq${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function signedIn(browser: Browser, user: User): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  return page;
}

/** Creates a document through the new-document screen; returns its id. */
async function createDocument(page: Page, title: string, body: string, tags = ""): Promise<string> {
  await page.goto("/documents/new");
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Text").fill(body);
  if (tags) await page.getByLabel("Tags (separated by commas)").fill(tags);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(title);
  return page.url().split("/").pop() ?? "";
}

async function search(page: Page, view: "mine" | "all" | "shared", text: string) {
  await page.goto(`/documents?view=${view}`);
  await page.getByLabel("Search titles and text").fill(text);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`q=${text}`));
}

test("a manager sees a subordinate's document and the individual contributor does not see the CEO's", async ({
  browser,
}) => {
  const ic = await signedIn(browser, "ic");
  const icName = await viewerName(ic);
  const icWord = uniqueWord();
  await ic.goto("/documents/new");
  await checkScreen(ic, "document-new");
  const icDocument = await createDocument(ic, `Notes ${icWord}`, `Meeting notes ${icWord}`, "notes, draft");
  await expect(ic.getByTestId("document-owner")).toHaveText(icName);
  await ic.goto("/documents");
  await expect(ic.getByRole("link", { name: `Notes ${icWord}` })).toBeVisible();
  await checkScreen(ic, "documents-mine");

  const ceo = await signedIn(browser, "ceo");
  await search(ceo, "all", icWord);
  const row = ceo.locator(".document-row", { hasText: `Notes ${icWord}` });
  await expect(row).toBeVisible();
  await expect(row.locator(".owner")).toHaveText(icName);
  await checkScreen(ceo, "documents-all");
  await row.getByRole("link").click();
  await expect(ceo).toHaveURL(new RegExp(`/documents/${icDocument}$`));
  await expect(ceo.getByTestId("document-owner")).toHaveText(icName);
  await checkScreen(ceo, "document");

  const ceoWord = uniqueWord();
  const ceoDocument = await createDocument(ceo, `Board ${ceoWord}`, `Confidential ${ceoWord}`);
  await search(ic, "all", ceoWord);
  await expect(ic.getByText("No documents match this search.")).toBeVisible();
  await ic.goto(`/documents/${ceoDocument}`);
  await expect(ic.getByRole("heading", { name: "Document not found" })).toBeVisible();
});

test("two tabs edit the same document: the second gets the conflict screen", async ({ browser }) => {
  const first = await signedIn(browser, "ceo");
  const word = uniqueWord();
  const id = await createDocument(first, `Plan ${word}`, "The original text");
  const second = await first.context().newPage();

  await first.goto(`/documents/${id}/edit`);
  await second.goto(`/documents/${id}/edit`);
  await expect(second.getByLabel("Text")).toHaveValue("The original text");
  await checkScreen(second, "document-edit");

  await first.getByLabel("Text").fill("The first tab's text");
  await first.getByRole("button", { name: "Save" }).click();
  await expect(first.locator("article.document .document-body")).toHaveText("The first tab's text");

  await second.getByLabel("Text").fill("The second tab's text");
  await second.getByRole("button", { name: "Save" }).click();
  const conflict = second.getByRole("alert").filter({ hasText: "Someone else changed this document" });
  await expect(conflict).toBeVisible();
  await expect(second.getByRole("region", { name: "Your version (not saved)" })).toContainText("The second tab's text");
  await expect(second.getByRole("region", { name: "Saved version 2" })).toContainText("The first tab's text");
  await checkScreen(second, "document-conflict");

  await second.getByRole("button", { name: "Overwrite with my version" }).click();
  await expect(second).toHaveURL(new RegExp(`/documents/${id}$`));
  await expect(second.locator("article.document .document-body")).toHaveText("The second tab's text");
  await expect(second.getByText("Version 3")).toBeVisible();

  // Again, and this time the second tab takes the stored version instead.
  await first.goto(`/documents/${id}/edit`);
  await second.goto(`/documents/${id}/edit`);
  await expect(second.getByLabel("Text")).toHaveValue("The second tab's text");
  await first.getByLabel("Text").fill("Version four");
  await first.getByRole("button", { name: "Save" }).click();
  await expect(first.locator("article.document .document-body")).toHaveText("Version four");
  await second.getByLabel("Title").fill("A title nobody will keep");
  await second.getByRole("button", { name: "Save" }).click();
  await second.getByRole("button", { name: "Discard mine and load version 4" }).click();
  await expect(second.getByLabel("Text")).toHaveValue("Version four");
  await expect(second.getByLabel("Title")).toHaveValue(`Plan ${word}`);
  await expect(second.getByText("Editing version 4.")).toBeVisible();
});

test("share a document with an employee, who finds it under shared with me; then delete it: it leaves their open list", async ({
  browser,
}) => {
  const ic = await signedIn(browser, "ic");
  const icName = await viewerName(ic);
  const ceo = await signedIn(browser, "ceo");
  const ceoName = await viewerName(ceo);
  const word = uniqueWord();
  const id = await createDocument(ceo, `Offsite ${word}`, `Agenda ${word}`);

  // Names repeat in the demo org: the individual contributor is the one with their email.
  await ceo.getByLabel("Share with an employee").fill(icName);
  await ceo.getByRole("button", { name: "Find", exact: true }).click();
  await ceo.locator(".found li", { hasText: USERS.ic }).getByRole("button", { name: `Share with ${icName}` }).click();
  await expect(ceo.getByRole("status").filter({ hasText: "Shared with" })).toHaveText(`Shared with ${icName}.`);
  await expect(ceo.locator(".shares")).toContainText(icName);

  const listSubscribed = subscribedToDocuments(ic, "DocumentDeleted");
  const pushedToList = pushedDocuments(ic, "documentDeleted");
  await ic.goto("/documents?view=shared");
  const row = ic.locator(".document-row", { hasText: `Offsite ${word}` });
  await expect(row).toBeVisible();
  await expect(row.locator(".owner")).toHaveText(ceoName);
  await expect(row.getByText("Shared with you")).toBeVisible();
  await expect(row.getByRole("link")).toHaveAttribute("href", `/documents/${id}`);
  await checkScreen(ic, "documents-shared");
  await markNotReloaded(ic);
  await listSubscribed;
  // The individual contributor reads it in a second tab and keeps the list open in the first.
  const opened = await ic.context().newPage();
  const pageSubscribed = subscribedToDocuments(opened, "DocumentDeleted");
  await opened.goto(`/documents/${id}`);
  await expect(opened.getByTestId("document-owner")).toHaveText(ceoName);
  await pageSubscribed;

  await ceo.goto(`/documents/${id}`);
  await ceo.getByRole("button", { name: "Delete" }).click();
  await ceo.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(ceo.getByRole("status").filter({ hasText: "Deleted" })).toHaveText(`Deleted “Offsite ${word}”.`);
  await expect(row).toHaveCount(0);
  expect(pushedToList).toContain(id);
  expect(await notReloaded(ic)).toBe(true);
  const deletedBy = new RegExp(`^This document was deleted by ${ceoName} on .+\\.$`);
  await expect(opened.getByTestId("document-deleted")).toHaveText(deletedBy);
  await search(ceo, "all", word);
  await expect(ceo.getByText("No documents match this search.")).toBeVisible();
  // Opened later, the page says the same (the API keeps deletions for seven days).
  await ic.goto(`/documents/${id}`);
  await expect(ic.getByRole("heading", { level: 1 })).toHaveText(`Offsite ${word}`);
  await expect(ic.getByTestId("document-deleted")).toHaveText(deletedBy);
  await checkScreen(ic, "document-deleted");
});

/** Resolves once the page has sent this subscription (set up before the page opens). */
function subscribedToDocuments(page: Page, operation = "DocumentChanged"): Promise<void> {
  return new Promise((resolve) =>
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        if (String(payload).includes(`subscription ${operation}`)) resolve();
      }),
    ),
  );
}

/** The ids of the documents pushed to a page by documentChanged (or documentDeleted). */
function pushedDocuments(page: Page, field: "documentChanged" | "documentDeleted" = "documentChanged"): string[] {
  const ids: string[] = [];
  page.on("websocket", (socket) =>
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type: string; payload?: { data?: Record<string, { id: string } | null> } };
      const id = message.type === "next" ? message.payload?.data?.[field]?.id : undefined;
      if (id) ids.push(id);
    }),
  );
  return ids;
}

const markNotReloaded = (page: Page) => page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded);

const documentCount = async (page: Page) => Number((await page.locator(".results-count").textContent())?.replace(/\D/g, ""));

test("open lists show documents as others create, edit and share them, without reloading", async ({ browser }) => {
  const ic = await signedIn(browser, "ic");
  const icName = await viewerName(ic);
  const ceo = await signedIn(browser, "ceo");
  const ceoName = await viewerName(ceo);
  const word = uniqueWord();

  // The CEO watches everything they can see, which includes what the individual contributor writes.
  const ceoSubscribed = subscribedToDocuments(ceo);
  const pushedToCeo = pushedDocuments(ceo);
  await ceo.goto("/documents?view=all");
  await expect(ceo.locator(".document-row").first()).toBeVisible();
  const before = await documentCount(ceo);
  await ceo.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await ceoSubscribed;

  const id = await createDocument(ic, `Live ${word}`, `Written while the CEO watches ${word}`);
  const row = ceo.locator(".document-row", { hasText: `Live ${word}` });
  await expect(row).toBeVisible();
  await expect(row.locator(".owner")).toHaveText(icName);
  await expect.poll(() => documentCount(ceo)).toBe(before + 1);

  await ic.goto(`/documents/${id}/edit`);
  await ic.getByLabel("Title").fill(`Renamed ${word}`);
  await ic.getByRole("button", { name: "Save" }).click();
  await expect(ic.getByRole("heading", { level: 1 })).toHaveText(`Renamed ${word}`);
  await expect(ceo.locator(".document-row", { hasText: `Renamed ${word}` })).toBeVisible();
  await expect(row).toHaveCount(0);
  expect(pushedToCeo).toContain(id);
  expect(await ceo.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  // The individual contributor watches "Shared with me" while the CEO shares a document.
  const icSubscribed = subscribedToDocuments(ic);
  await ic.goto("/documents?view=shared");
  await expect(ic.getByRole("region", { name: "Documents shared with you" })).toBeVisible();
  await ic.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await icSubscribed;
  await createDocument(ceo, `Shared live ${word}`, `For the team ${word}`);
  await expect(ic.locator(".document-row", { hasText: `Shared live ${word}` })).toHaveCount(0);
  await ceo.getByLabel("Share with an employee").fill(icName);
  await ceo.getByRole("button", { name: "Find", exact: true }).click();
  await ceo.locator(".found li", { hasText: USERS.ic }).getByRole("button", { name: `Share with ${icName}` }).click();
  await expect(ceo.getByRole("status").filter({ hasText: "Shared with" })).toHaveText(`Shared with ${icName}.`);
  const shared = ic.locator(".document-row", { hasText: `Shared live ${word}` });
  await expect(shared).toBeVisible();
  await expect(shared.locator(".owner")).toHaveText(ceoName);
  await expect(shared.getByText("Shared with you")).toBeVisible();
  expect(await ic.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
});

test("a manager deletes documents: the owner's open list drops one and its open page says who deleted the other, without reloading", async ({
  browser,
}) => {
  const ic = await signedIn(browser, "ic");
  const ceo = await signedIn(browser, "ceo");
  const ceoName = await viewerName(ceo);
  const word = uniqueWord();
  const listed = await createDocument(ic, `Doomed list ${word}`, `Listed while it is deleted ${word}`);
  const opened = await createDocument(ic, `Doomed page ${word}`, `Open while it is deleted ${word}`);

  // The individual contributor watches their documents in one tab and has the other open in a second.
  const listSubscribed = subscribedToDocuments(ic, "DocumentDeleted");
  const pushedToList = pushedDocuments(ic, "documentDeleted");
  await ic.goto("/documents?view=mine");
  const listedRow = ic.locator(".document-row", { hasText: `Doomed list ${word}` });
  await expect(listedRow).toBeVisible();
  await expect(ic.locator(".document-row", { hasText: `Doomed page ${word}` })).toBeVisible();
  const before = await documentCount(ic);
  await markNotReloaded(ic);
  await listSubscribed;

  const page = await ic.context().newPage();
  const pageSubscribed = subscribedToDocuments(page, "DocumentDeleted");
  const pushedToPage = pushedDocuments(page, "documentDeleted");
  await page.goto(`/documents/${opened}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Doomed page ${word}`);
  await markNotReloaded(page);
  await pageSubscribed;

  // The CEO (above everyone) deletes the listed one: it leaves the open list.
  await ceo.goto(`/documents/${listed}`);
  await ceo.getByRole("button", { name: "Delete" }).click();
  await ceo.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(ceo.getByRole("status").filter({ hasText: "Deleted" })).toHaveText(`Deleted “Doomed list ${word}”.`);
  await expect(listedRow).toHaveCount(0);
  await expect(ic.locator(".document-row", { hasText: `Doomed page ${word}` })).toBeVisible();
  await expect.poll(() => documentCount(ic)).toBe(before - 1);
  expect(pushedToList).toContain(listed);
  expect(await notReloaded(ic)).toBe(true);

  // Then the open one: its page says so, and the list drops it too.
  await ceo.goto(`/documents/${opened}`);
  await ceo.getByRole("button", { name: "Delete" }).click();
  await ceo.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(ceo.getByRole("status").filter({ hasText: "Deleted" })).toHaveText(`Deleted “Doomed page ${word}”.`);
  await expect(page.getByTestId("document-deleted")).toHaveText(new RegExp(`^This document was deleted by ${ceoName} on .+\\.$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Doomed page ${word}`);
  await expect(page.getByRole("button", { name: "Delete" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Edit" })).toHaveCount(0);
  expect(pushedToPage).toContain(opened);
  expect(await notReloaded(page)).toBe(true);
  await expect(ic.locator(".document-row", { hasText: `Doomed page ${word}` })).toHaveCount(0);
  await expect.poll(() => documentCount(ic)).toBe(before - 2);
  expect(pushedToList).toContain(opened);
  expect(await notReloaded(ic)).toBe(true);
});
