/**
 * The playground works offline: Debian's chromium (driven by playwright-core) opens
 * GET /graphql with every request to anything but the gateway blocked, runs a query,
 * sees the result, opens the docs explorer (which needs the standard introspection query to
 * pass the depth limits), and saves screenshots under test/artifacts/.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, registerApprovedAsset } from "./support/flow.js";

const CHROMIUM = "/usr/bin/chromium";
const artifacts = path.resolve(import.meta.dirname, "artifacts");

describe.skipIf(!existsSync(CHROMIUM))("playground (needs Debian's chromium; .ci/run installs it)", () => {
  let t: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestGateway();
    const a = await createActors(t);
    await registerApprovedAsset(t, a, "Offline playground asset");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("loads only from the gateway, runs a query and shows the result", async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(t.url) || url.startsWith("data:")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(`${t.url}/graphql`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 30_000 });
    // Type as a person would (insertText skips the editor's bracket auto-closing), then run.
    await page.click(".graphiql-query-editor .CodeMirror");
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText("{ dataAssets(first: 5) { edges { node { title status } } } }");
    // GraphiQL re-parses the editor after a short debounce; run once it has.
    await page.waitForTimeout(1000);
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(
      () => document.querySelector(".graphiql-response")?.textContent?.includes("Offline playground asset"),
      null,
      {
        timeout: 30_000,
      },
    );
    const response = await page.textContent(".graphiql-response");
    expect(response).toContain('"status": "APPROVED"');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, "playground.png") });
    expect(outside).toEqual([]);
  });

  it("opens the docs explorer: the schema loads by introspection, and it lists Query and DataAsset", async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 30_000 });
    await page.click('button[aria-label="Show Documentation Explorer"]');
    // The root page lists the root types and all schema types once introspection answered.
    const explorer = page.locator(".graphiql-doc-explorer");
    await explorer.getByRole("link", { name: "DataAsset", exact: true }).first().waitFor({ timeout: 30_000 });
    await explorer.getByRole("link", { name: "Query", exact: true }).first().click();
    await explorer.getByText("dataAssets", { exact: true }).first().waitFor({ timeout: 10_000 });
    expect(await explorer.locator(".graphiql-doc-explorer-title").textContent()).toBe("Query");
    await page.screenshot({ path: path.join(artifacts, "playground-docs.png") });
    await page.close();
  });
});
