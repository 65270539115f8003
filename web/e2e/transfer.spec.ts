import { expect, test } from "@playwright/test";
import { createOrg, logIn, rest, seedBasics } from "./support";

test("moving more than is there is refused with what is available, and nothing changes", async ({ page, request }) => {
  const org = await createOrg(request);
  const seeded = await seedBasics(request, org.token, 1);
  const product = seeded.products[0]!;
  const api = rest(request, org.token);
  await api.post("/stock/movements", { kind: "receipt", product_id: product.id, to_location_id: seeded.bins["A-01-01"], quantity: "3" });

  await logIn(page, org.email);
  await page.goto(`/stock/transfer?product=${product.sku}`);
  await expect(page.getByTestId("chosen-product")).toContainText(product.name);
  await page.getByLabel("From: location code").fill("A-01-01");
  await page.getByLabel("From: location code").press("Enter");
  await page.getByLabel("To: location code").fill("B-02-01");
  await page.getByLabel("To: location code").press("Enter");
  await expect(page.getByTestId("level-hint")).toContainText("3 pcs");
  await page.getByLabel(/Quantity moved/).fill("5");
  await page.getByRole("button", { name: "Move" }).click();

  await expect(page.getByText("Only 3 pcs available at A-01-01. Nothing was recorded.")).toBeVisible();
  await expect(page.getByLabel(/Quantity moved/)).toHaveAttribute("aria-invalid", "true");

  const stock = await api.get<{ totals: { on_hand: string }; warehouses: { locations: { code: string; on_hand: string }[] }[] }>(`/products/${product.id}/stock`);
  expect(Number(stock.totals.on_hand)).toBe(3);
  expect(stock.warehouses[0]!.locations.map((l) => [l.code, Number(l.on_hand)])).toEqual([["A-01-01", 3]]);

  // With what is there, the same move goes through.
  await page.getByLabel(/Quantity moved/).fill("3");
  await page.getByRole("button", { name: "Move" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Moved 3 pcs" }).first()).toBeVisible();
});
