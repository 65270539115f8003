import { expect, test } from "@playwright/test";
import type { APIRequestContext, Page } from "@playwright/test";
import { accessible, createOrg, logIn, rest, shot } from "./support";

interface Article {
  id: string;
  slug: string;
  revision: number;
}

/** Knowledge through the public API, as an integration would write it. */
function knowledge(request: APIRequestContext, token: string) {
  const api = rest(request, token);
  const headers = { Authorization: `Bearer ${token}` };
  return {
    collection: (name: string, description = "", parent_id: string | null = null) => api.post<{ id: string; slug: string }>("/collections", { name, description, parent_id }),
    article: (body: Record<string, unknown>) => api.post<Article>("/articles", body),
    async publish(article: Article): Promise<Article> {
      const response = await request.patch(`/api/v1/articles/${article.id}`, { headers: { ...headers, "If-Match": `"${article.revision}"` }, data: { status: "published" } });
      expect(response.status(), await response.text()).toBe(200);
      return (await response.json()) as Article;
    },
    tenantSlug: async () => (await api.get<{ tenant: { slug: string } }>("/me")).tenant.slug,
  };
}

const RETURNS = [
  "# Returns",
  "",
  "You can return any product **unused** within 14 days.",
  "",
  "1. Open a ticket with your order number.",
  "2. Pack the product in its box.",
  "3. We send you a label.",
].join("\n");

async function editBody(page: Page, change: (text: string) => string, note: string) {
  await page.getByRole("link", { name: "Edit" }).click();
  const body = page.getByLabel("Text (Markdown)");
  await expect(body).not.toHaveValue("");
  await body.fill(change(await body.inputValue()));
  await page.getByLabel("Change note").fill(note);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText(/^Saved revision \d+$/)).toBeVisible();
}

test("an editor writes an article, publishes it, edits it twice, compares revisions and restores one", async ({ browser, page, request }) => {
  const org = await createOrg(request, "Acme Supplies");
  const kb = knowledge(request, org.token);
  const policies = await kb.collection("Returns & warranty", "Sending things back, and what we repair.");
  const tools = await kb.collection("Power tools", "How-tos for drills, grinders and saws.");
  const batteries = await kb.collection("Batteries & chargers", undefined, tools.id);
  const shelf = [
    ["Warranty: what is covered", "public", policies.id, ["warranty"], true],
    ["Handling a damaged delivery", "internal", policies.id, ["returns", "carrier"], true],
    ["Warranty extension for trade customers", "public", policies.id, ["warranty"], false],
    ["Charging a drill battery for the first time", "public", batteries.id, ["battery"], true],
    ["Changing an angle grinder disc", "public", tools.id, ["grinder"], true],
    ["Escalating a repair to the manufacturer", "internal", tools.id, ["repair"], false],
  ] as const;
  for (const [title, visibility, collection, tags, published] of shelf) {
    const made = await kb.article({ title, body: `# ${title}\n\nSteps and tips.`, visibility, collection_id: collection, tags });
    if (published) await kb.publish(made);
  }
  await logIn(page, org.email);

  await page.getByRole("link", { name: "Knowledge" }).first().click();
  await expect(page.getByRole("list", { name: "Articles" })).toContainText("Warranty: what is covered");
  await shot(page, "kb-1280-light");
  await accessible(page, "knowledge list");
  await page.getByRole("link", { name: "New article" }).click();
  await page.getByLabel("Title").fill("Returns policy");
  await page.getByLabel("Text (Markdown)").fill(RETURNS);
  await expect(page.getByRole("region", { name: "Preview" }).getByRole("heading", { name: "Returns" })).toBeVisible();
  await page.getByLabel("Collection").selectOption({ label: "Returns & warranty" });
  await page.getByLabel("Tags").fill("returns, policy");
  await page.getByLabel("Who can read it").selectOption("public");
  await page.getByLabel("Change note").fill("First version");
  await page.getByRole("button", { name: "Save draft" }).click();

  await expect(page.getByRole("heading", { name: "Returns policy" })).toBeVisible();
  await expect(page.getByText("Draft", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published — revision 2")).toBeVisible();

  await editBody(page, (text) => text.replace("within 14 days", "within 30 days"), "30 days now");
  await editBody(page, (text) => `${text}\n4. Refunds arrive within 5 working days.`, "Refund time");

  await page.getByRole("link", { name: "History" }).click();
  const revisions = page.getByRole("list", { name: "Revisions" });
  await expect(revisions.getByRole("listitem")).toHaveCount(4);
  await expect(revisions).toContainText("Refund time");
  // A click, then wait: the choice goes through the address (a router navigation), so the
  // radio is checked a render later, and check() would look too early.
  await page.getByLabel("Compare from revision 2").click();
  await expect(page.getByLabel("Compare from revision 2")).toBeChecked();
  const diff = page.getByRole("region", { name: "Changes from revision 2 to 4" });
  await expect(diff.locator('tr[data-op="delete"]')).toContainText("within 14 days");
  await expect(diff.locator('tr[data-op="insert"]')).toHaveText([/within 30 days/, /Refunds arrive/]);
  const dismiss = page.getByRole("button", { name: "Dismiss" });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  await shot(page, "kb-history-1280-light");
  await accessible(page, "history");

  await page.getByRole("button", { name: "Restore revision 2" }).click();
  await expect(page.getByText("Restored revision 2 as revision 5")).toBeVisible();
  await expect(revisions.getByRole("listitem").first()).toContainText("Restored from 2");
  await page.getByRole("link", { name: "Back to the article" }).click();
  await expect(page.getByText("within 14 days")).toBeVisible();

  // The editor in the dark, for the README.
  const dark = await browser.newContext({ colorScheme: "dark", viewport: { width: 1280, height: 860 } });
  const darkPage = await dark.newPage();
  await logIn(darkPage, org.email);
  await darkPage.goto(page.url() + "/edit");
  await expect(darkPage.getByRole("region", { name: "Preview" }).getByRole("heading", { name: "Returns" })).toBeVisible();
  await shot(darkPage, "kb-editor-1280-dark");
  await accessible(darkPage, "editor (dark)");
  await dark.close();

  // Deleting asks first; "Keep" keeps it, "Delete article" removes it from the list.
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Delete “Returns policy”?" })).toBeVisible();
  await page.getByRole("button", { name: "Keep" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(page.getByRole("heading", { name: "Returns policy", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("button", { name: "Delete article" }).click();
  await expect(page).toHaveURL(/\/kb$/);
  const list = page.getByRole("list", { name: "Articles" });
  await expect(list).toContainText("Warranty: what is covered");
  await expect(list).not.toContainText("Returns policy");
});

test("an anonymous visitor finds a public article in the help centre; drafts and internal ones are not there", async ({ browser, request }) => {
  const org = await createOrg(request, "Acme Supplies");
  const kb = knowledge(request, org.token);
  const slug = await kb.tenantSlug();
  const warranty = await kb.collection("Warranty", "What we repair, and for how long.");
  const howto = await kb.collection("How-tos", "Getting the most out of your tools.");
  const visible = await kb.publish(await kb.article({ title: "How long is the warranty?", body: "Every power tool has a **two-year warranty** from the day of delivery.\n\nKeep the receipt.", visibility: "public", collection_id: warranty.id, tags: ["warranty"] }));
  await kb.publish(await kb.article({ title: "Changing a grinder disc", body: "Unplug the grinder first. Then hold the spindle lock.", visibility: "public", collection_id: howto.id }));
  await kb.publish(await kb.article({ title: "Warranty fraud checklist", body: "Internal: warranty claims to double-check.", visibility: "internal", collection_id: warranty.id }));
  const draft = await kb.article({ title: "Warranty extension (draft)", body: "A warranty extension we have not announced.", visibility: "public", collection_id: warranty.id });

  const visitor = await browser.newContext({ viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
  const page = await visitor.newPage();
  await page.goto(`/help/${slug}`);
  await expect(page.getByRole("heading", { name: "Browse by topic" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("How long is the warranty?");
  await expect(page.getByRole("main")).toContainText("Changing a grinder disc");
  await shot(page, "help-360-light");
  await accessible(page, "help centre (360)");
  await expect(page.getByRole("main")).not.toContainText("fraud");
  await expect(page.getByRole("main")).not.toContainText("extension");
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);

  await page.getByLabel("Search the help centre").fill("warranty");
  const results = page.getByRole("heading", { name: "Results for “warranty”" });
  await expect(results).toBeVisible();
  await expect(page.getByRole("main").getByRole("link", { name: /How long is the warranty/ })).toBeVisible();
  await expect(page.getByRole("main")).not.toContainText("fraud");
  await expect(page.getByRole("main")).not.toContainText("extension");
  await page.getByRole("main").getByRole("link", { name: /How long is the warranty/ }).click();
  await expect(page).toHaveURL(new RegExp(`/help/${slug}/${visible.slug}$`));
  await expect(page.getByRole("heading", { name: "How long is the warranty?" })).toBeVisible();
  await expect(page.locator("article strong")).toHaveText("two-year warranty");

  await page.goto(`/help/${slug}/${draft.slug}`);
  await expect(page.getByRole("heading", { name: "This article is not here" })).toBeVisible();
  await visitor.close();
});

test("Ctrl-K finds a product by its SKU and an article by its words", async ({ page, request }) => {
  const org = await createOrg(request, "Acme Supplies");
  const product = await rest(request, org.token).post<{ id: string }>("/products", { sku: "HEX-M8-40", name: "Hex bolt M8 x 40 mm, zinc plated", unit: "pcs" });
  const article = await knowledge(request, org.token).article({ title: "Torque table for hex bolts", body: "M8 bolts: tighten to 25 Nm with a torque wrench.", visibility: "internal" });
  await logIn(page, org.email);

  await page.keyboard.press("Control+k");
  const box = page.getByRole("combobox", { name: "Search everything" });
  await box.fill("hex-m8-40");
  const products = page.getByRole("group", { name: /Products/ });
  await expect(products.getByRole("option").first()).toContainText("Hex bolt M8 x 40 mm");
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/products/${product.id}$`));
  await expect(page.getByRole("heading", { name: "Hex bolt M8 x 40 mm, zinc plated" })).toBeVisible();

  await page.keyboard.press("Control+k");
  await box.fill("torque wrench");
  await expect(page.getByRole("group", { name: /Articles/ }).getByRole("option").first()).toContainText("Torque table for hex bolts");
  await expect(page.getByRole("group", { name: /Articles/ }).locator("mark").first()).toBeVisible();
  await box.press("ArrowDown");
  await box.press("ArrowUp");
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/kb/${article.id}$`));
  await expect(page.getByRole("heading", { name: "Torque table for hex bolts" })).toBeVisible();

  // One word, both kinds: the palette groups them (for the README).
  await page.keyboard.press("Control+k");
  await box.fill("hex");
  await expect(page.getByRole("group", { name: /Articles/ })).toBeVisible();
  await expect(page.getByRole("group", { name: /Products/ })).toBeVisible();
  await shot(page, "search-palette-1280-light");
  await accessible(page, "search palette");
});
