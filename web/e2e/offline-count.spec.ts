import { expect, test } from "@playwright/test";
import { createOrg, newUserPage, rest, seedBasics, shot } from "./support";

test("a count made offline is kept on the phone and sent once when the network is back", async ({ browser, request }) => {
  const org = await createOrg(request);
  const seeded = await seedBasics(request, org.token, 2);
  const [known, scannedOffline] = seeded.products as [Seeded, Seeded];
  const api = rest(request, org.token);
  for (const product of [known, scannedOffline]) {
    await api.post("/stock/movements", { kind: "receipt", product_id: product.id, to_location_id: seeded.bins["A-01-01"], quantity: "10" });
  }

  const { context, page } = await newUserPage(browser, org.email, { viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
  await page.goto("/counts");
  // The app shell is installed (service worker) so the page survives a reload offline.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
  });
  await page.getByLabel("Bin: location code").fill("A-01-01");
  await page.getByLabel("Bin: location code").press("Enter");
  // Scanned once while online, so this phone knows it.
  await page.getByPlaceholder("Scan barcode or type SKU, Enter").fill(known.sku);
  await page.getByPlaceholder("Scan barcode or type SKU, Enter").press("Enter");
  await expect(page.getByTestId("count-product")).toContainText(known.name);
  await page.getByRole("button", { name: "Back" }).click();

  await context.setOffline(true);
  await expect(page.getByText("You are offline")).toBeVisible();

  await page.getByPlaceholder("Scan barcode or type SKU, Enter").fill(known.sku);
  await page.getByPlaceholder("Scan barcode or type SKU, Enter").press("Enter");
  await page.getByLabel(/Counted/).fill("8");
  await page.getByLabel(/Counted/).press("Enter");

  await page.getByPlaceholder("Scan barcode or type SKU, Enter").fill(scannedOffline.barcode ?? "");
  await page.getByPlaceholder("Scan barcode or type SKU, Enter").press("Enter");
  await expect(page.getByTestId("count-product")).toContainText("matched when you are back online");
  await page.getByLabel(/Counted/).fill("12");
  await page.getByLabel(/Counted/).press("Enter");

  const queue = page.getByTestId("count-queue");
  await expect(queue.locator('[data-state="pending"]')).toHaveCount(2);
  await expect(page.getByTestId("count-sync-state")).toContainText("2 waiting");
  await expect(page.getByTestId("offline-queue").first()).toBeAttached();
  await shot(page, "count-offline-360");

  // A reload while offline: the shell comes from the service worker, the queue from IndexedDB.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Count stock" })).toBeVisible();
  await expect(queue.locator('[data-state="pending"]')).toHaveCount(2);

  await context.setOffline(false);
  await expect(queue.locator('[data-state="synced"]')).toHaveCount(2);
  await expect(page.getByTestId("count-sync-state")).toContainText("All counts sent");
  await expect(queue).toContainText("−2 pcs booked");
  await expect(queue).toContainText("+2 pcs booked");

  for (const [product, counted] of [[known, 8], [scannedOffline, 12]] as const) {
    const stock = await api.get<{ totals: { on_hand: string } }>(`/products/${product.id}/stock`);
    expect(Number(stock.totals.on_hand)).toBe(counted);
    const moves = await api.get<{ items: { kind: string }[] }>(`/stock/movements?product_id=${product.id}`);
    expect(moves.items.filter((m) => m.kind === "count")).toHaveLength(1); // sent once
  }
  await context.close();
});

type Seeded = { id: string; sku: string; name: string; barcode: string | null };
