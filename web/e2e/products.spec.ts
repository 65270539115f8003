import { expect, test } from "@playwright/test";
import { createOrg, logIn, rest, shot } from "./support";

test("a manager adds a product; a duplicate SKU is refused next to the field", async ({ page, request }) => {
  const org = await createOrg(request);
  await rest(request, org.token).post("/products", { sku: "HEX-M8", name: "Hex bolt M8", unit: "pcs" });
  await logIn(page, org.email);

  await page.getByRole("link", { name: "Products" }).first().click();
  await expect(page.getByRole("list", { name: "Products" })).toContainText("Hex bolt M8");
  await page.getByRole("link", { name: "Add product" }).click();
  // The form, not the list still on screen (its sort control matched getByLabel("SKU")).
  await expect(page.getByRole("heading", { name: "Add a product" })).toBeVisible();

  await page.getByLabel("SKU", { exact: true }).fill("hex-m8");
  await page.getByLabel("Name").fill("Hex bolt M8, duplicate");
  await page.getByRole("button", { name: "Add product" }).click();
  await expect(page.getByText(/already/i).first()).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue("Hex bolt M8, duplicate");

  await page.getByLabel("SKU", { exact: true }).fill("DRL-18V");
  await page.getByLabel("Name").fill("Cordless drill 18V");
  await page.getByLabel("Barcode").fill("4006381333931");
  await page.getByLabel("Reorder point").fill("5");
  await page.getByRole("button", { name: "Add product" }).click();

  await expect(page.getByRole("heading", { name: "Cordless drill 18V" })).toBeVisible();
  await expect(page.getByText("Not in stock anywhere")).toBeVisible();

  await page.getByRole("link", { name: "Products" }).first().click();
  await page.getByPlaceholder("Search name, SKU or barcode").fill("4006381333931");
  const table = page.getByRole("list", { name: "Products" });
  await expect(table).toContainText("Cordless drill 18V");
  await expect(table).not.toContainText("Hex bolt M8");
  await shot(page, "products-search");
});
