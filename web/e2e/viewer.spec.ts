import { expect, test } from "@playwright/test";
import { PASSWORD, createOrg, logIn, mailedInvitationToken, rest, uniqueEmail } from "./support";

test("an owner invites a viewer, who joins from the mailed link and sees no admin screens", async ({ page, browser, request }) => {
  const org = await createOrg(request);
  await rest(request, org.token).post("/products", { sku: "BOLT-1", name: "Bolt", unit: "pcs" });
  const viewer = uniqueEmail("viewer");

  await logIn(page, org.email);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await page.getByRole("button", { name: "Invite member" }).click();
  await page.getByLabel("E-mail").fill(viewer);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("Invited, not joined yet")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: viewer })).toBeVisible();

  // The viewer opens the link from the e-mail in their own browser.
  const token = await mailedInvitationToken(request, viewer);
  const context = await browser.newContext();
  const invited = await context.newPage();
  await invited.goto(`/invitation#token=${token}`);
  await expect(invited.getByRole("heading", { name: "Join E2E Supplies" })).toBeVisible();
  await invited.getByLabel("Your name").fill("Vic Viewer");
  await invited.getByLabel("Choose a password").fill(PASSWORD);
  await invited.getByRole("button", { name: "Join E2E Supplies" }).click();
  await expect(invited.getByRole("heading", { name: "Dashboard" })).toBeVisible();

  const nav = invited.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Products" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Alerts" })).toBeVisible();
  for (const hidden of ["Members", "API keys", "Audit log", "Stock", "Count"]) {
    await expect(nav.getByRole("link", { name: hidden, exact: true })).toHaveCount(0);
  }
  await expect(invited.getByText("Administration")).toHaveCount(0);

  await nav.getByRole("link", { name: "Products" }).click();
  await expect(invited.getByRole("list", { name: "Products" })).toContainText("Bolt");
  await expect(invited.getByRole("link", { name: "Add product" })).toHaveCount(0);

  for (const path of ["/api-keys", "/audit", "/members", "/stock/receive"]) {
    await invited.goto(path);
    await expect(invited.getByText("You don't have access to this page")).toBeVisible();
  }

  // The owner's list now has the viewer as a member, no longer as an invitation.
  await page.reload();
  await expect(page.getByRole("table", { name: "Members" })).toContainText("Vic Viewer");
  await expect(page.getByText("Invited, not joined yet")).toHaveCount(0);
  await context.close();
});
