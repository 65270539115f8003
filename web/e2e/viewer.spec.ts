import { expect, test } from "@playwright/test";
import { PASSWORD, createOrg, logIn, rest, uniqueEmail } from "./support";

test("a viewer reads stock but sees no admin screens and no write buttons", async ({ page, request }) => {
  const org = await createOrg(request);
  const viewer = uniqueEmail("viewer");
  await rest(request, org.token).post("/users", { email: viewer, full_name: "Vic Viewer", role: "viewer", password: PASSWORD });
  await rest(request, org.token).post("/products", { sku: "BOLT-1", name: "Bolt", unit: "pcs" });

  await logIn(page, viewer);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Products" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Alerts" })).toBeVisible();
  for (const hidden of ["Members", "API keys", "Audit log", "Stock", "Count"]) {
    await expect(nav.getByRole("link", { name: hidden, exact: true })).toHaveCount(0);
  }
  await expect(page.getByText("Administration")).toHaveCount(0);

  await nav.getByRole("link", { name: "Products" }).click();
  await expect(page.getByRole("list", { name: "Products" })).toContainText("Bolt");
  await expect(page.getByRole("link", { name: "Add product" })).toHaveCount(0);

  for (const path of ["/api-keys", "/audit", "/members", "/stock/receive"]) {
    await page.goto(path);
    await expect(page.getByText("You don't have access to this page")).toBeVisible();
  }
});
