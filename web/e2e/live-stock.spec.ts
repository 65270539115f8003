import { expect, test } from "@playwright/test";
import { createOrg, newUserPage, seedBasics, waitLive } from "./support";

test("stock received by one person shows up live on a colleague's screen", async ({ browser, request }) => {
  const org = await createOrg(request);
  const seeded = await seedBasics(request, org.token, 1);
  const product = seeded.products[0]!;

  // The colleague watches the product page in another browser (no reload from here on).
  const watcher = await newUserPage(browser, org.email);
  await watcher.page.goto(`/products/${product.id}`);
  await expect(watcher.page.getByRole("heading", { name: product.name })).toBeVisible();
  await expect(watcher.page.getByText("Not in stock anywhere")).toBeVisible();
  await waitLive(watcher.page);

  // The warehouse worker receives with a scanner: bin code + Enter, barcode + Enter, quantity + Enter.
  const worker = await newUserPage(browser, org.email, { viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
  const page = worker.page;
  await page.goto("/stock/receive");
  await page.getByLabel("Into: location code").fill("A-01-02");
  await page.getByLabel("Into: location code").press("Enter");
  await expect(page.getByTestId("chosen-location")).toContainText("A-01-02");
  await page.getByLabel("Product").fill(product.barcode ?? product.sku);
  await page.getByLabel("Product").press("Enter");
  await expect(page.getByTestId("chosen-product")).toContainText(product.name);
  const quantity = page.getByLabel(/Quantity received/);
  await expect(quantity).toBeFocused();
  await quantity.fill("24");
  await quantity.press("Enter");
  await expect(page.getByRole("status").filter({ hasText: "Received 24 pcs" }).first()).toBeVisible();

  await expect(watcher.page.getByTestId("stock-available")).toHaveText("24 pcs");
  await expect(watcher.page.getByTestId("location-MAIN-A-01-02")).toContainText("24");
  await expect(watcher.page.getByText("Received").first()).toBeVisible();

  await worker.context.close();
  await watcher.context.close();
});
