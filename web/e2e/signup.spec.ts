import { expect, test } from "@playwright/test";
import { PASSWORD, uniqueEmail } from "./support";

test("a new company signs up and lands on its dashboard, still signed in after a reload", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole("link", { name: "Create an organisation" }).click();

  await page.getByLabel("Organisation").fill("Northwind Traders");
  await page.getByLabel("Your name").fill("Ana Example");
  await page.getByLabel("E-mail").fill(uniqueEmail("ana"));
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create organisation" }).click();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create organisation" }).click();

  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByText("No stock yet")).toBeVisible();
  await expect(page.getByText("Northwind Traders").first()).toBeVisible();

  await page.reload();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText("You have logged out.")).toBeVisible();
});
