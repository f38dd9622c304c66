// The gateway serves the built app at / with the right content types and cache headers, falls
// back to index.html for the app's own routes, keeps GraphiQL at /graphiql, lets the app's
// pages open the subscriptions' WebSocket under its Content-Security-Policy, and the first
// screen's JavaScript stays within its budget.
import { gzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";

const FIRST_SCREEN_JS_BUDGET = 250 * 1024;

test("index.html, hashed assets, client routes and GraphiQL are served by the gateway", async ({ request }) => {
  const index = await request.get("/");
  expect(index.status()).toBe(200);
  expect(index.headers()["content-type"]).toBe("text/html; charset=utf-8");
  expect(index.headers()["cache-control"]).toBe("no-cache");
  const html = await index.text();
  expect(html).not.toMatch(/https?:\/\//);

  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
  expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
  for (const asset of assets) {
    const response = await request.get(asset);
    expect(response.status(), asset).toBe(200);
    expect(response.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(response.headers()["content-type"]).toBe(
      asset.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
    );
  }

  const route = await request.get("/documents/12/edit");
  expect(route.status()).toBe(200);
  expect(await route.text()).toBe(html);
  expect((await request.get("/assets/missing-0000.js")).status()).toBe(404);
  expect((await request.get("/favicon.svg")).headers()["content-type"]).toBe("image/svg+xml");

  const graphiql = await request.get("/graphiql");
  expect(graphiql.status()).toBe(200);
  expect(await graphiql.text()).toContain("/graphiql/graphiql.js");
});

test("the gateway's Content-Security-Policy lets the app open its WebSocket to /graphql", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.headers()["content-security-policy"]).toContain("connect-src 'self'");
  // What the app's socket does first (graphql-transport-ws), from the page, under that policy.
  const answer = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const refused: string[] = [];
        document.addEventListener("securitypolicyviolation", (e) => refused.push(e.violatedDirective));
        const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
        const socket = new WebSocket(url, "graphql-transport-ws");
        socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
        socket.onmessage = (event) => {
          resolve(`${JSON.parse(String(event.data)).type}${refused.length ? ` refused: ${refused}` : ""}`);
          socket.close(1000);
        };
        socket.onerror = () => setTimeout(() => resolve(`error${refused.length ? ` refused: ${refused}` : ""}`), 100);
      }),
  );
  expect(answer).toBe("connection_ack");
  // And the policy is in force here: a socket to another origin is refused.
  const elsewhere = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective));
        try {
          new WebSocket(`ws://127.0.0.1:9/graphql`, "graphql-transport-ws");
        } catch (e) {
          resolve(`thrown: ${String(e)}`);
        }
        setTimeout(() => resolve("not refused"), 2_000);
      }),
  );
  expect(elsewhere).toMatch(/connect-src/);
});

test("the first screen loads under 250 KB of gzipped JavaScript, nothing off-site, no console error", async ({
  page,
}) => {
  const scripts: Promise<number>[] = [];
  const offsite: string[] = [];
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("request", (request) => {
    if (!request.url().startsWith(test.info().project.use.baseURL ?? "")) offsite.push(request.url());
  });
  page.on("response", (response) => {
    if (response.request().resourceType() === "script") {
      scripts.push(response.body().then((body) => gzipSync(body).length));
    }
  });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Catalog", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: /products?$/ })).toBeVisible();
  const sizes = await Promise.all(scripts);
  const total = sizes.reduce((a, b) => a + b, 0);
  console.log(`first screen: ${sizes.length} scripts, ${(total / 1024).toFixed(1)} KB gzipped`);
  expect(sizes.length).toBeGreaterThan(0);
  expect(total).toBeLessThan(FIRST_SCREEN_JS_BUDGET);
  expect(offsite).toEqual([]);
  expect(errors, "console errors (a Content-Security-Policy refusal would show here)").toEqual([]);
});
