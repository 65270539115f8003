import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import type { Page } from "@playwright/test";
import { seedDesk } from "./desk-support";
import { createOrg, logIn, rest, shot } from "./support";

/** WCAG 2 A/AA checks by axe-core: nothing serious or critical. */
async function accessible(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = serious.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  expect(described, screen).toEqual([]);
}

async function settle(page: Page) {
  await page.waitForLoadState("networkidle");
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}

test("service desk screens: queue, ticket, new ticket, settings and report, light and dark, desk and phone", async ({ browser, request }) => {
  test.setTimeout(180_000);
  const org = await createOrg(request, "Acme Support");
  await seedDesk(request, org.token);
  const api = rest(request, org.token);
  const drill = await api.post<{ id: string }>("/products", { sku: "DRL-18V", name: "Cordless drill 18V", unit: "pcs" });
  const requests = [
    ["Cordless drill does not charge", "high", ["warranty", "charger"], "Rita Requester"],
    ["Invoice shows the wrong VAT rate", "normal", ["billing"], "Ben Buyer"],
    ["Delivery arrived damaged", "urgent", ["shipping"], "Dana Dock"],
    ["How do I change the grinder disc?", "low", ["how-to"], "Gus Grinder"],
    ["Order 2231 is missing two boxes", "high", ["shipping"], "Olaf Order"],
    ["Request for a bulk discount", "normal", [], "Priya Purchasing"],
  ] as const;
  const made: { id: string }[] = [];
  for (const [subject, priority, tags, name] of requests) {
    const email = `${name.split(" ")[0]!.toLowerCase()}@customer.example`;
    made.push(await api.post<{ id: string }>("/tickets", { subject, priority, tags, requester: { email, name }, description: "Hello,\n\nplease help: **details** below.\n\n- ordered last week\n- paid by card", product_ids: subject.startsWith("Cordless") ? [drill.id] : [], custom_fields: subject.startsWith("Cordless") ? { serial_number: "SN-4711", purchase_channel: "Web shop" } : {} }));
  }
  const main = made[0]!.id;
  await api.post(`/tickets/${main}/comments`, { body: "Serial SN-4711 is in warranty; replacement approved.", internal: true });
  await api.post(`/tickets/${main}/comments`, { body: "Sorry about that! A **new charger** is on its way — tracking follows by e-mail.", internal: false });
  await api.post(`/tickets/${made[1]!.id}/transitions`, { to: "pending", comment: "Asked accounting to check the rate." });
  await api.post(`/tickets/${made[3]!.id}/transitions`, { to: "resolved", comment: "Sent the manual, page 12." });

  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await logIn(page, org.email);
    for (const [name, path] of [["tickets", "/tickets"], ["ticket", `/tickets/${main}`], ["ticket-new", "/tickets/new"], ["desk-settings", "/desk/settings"], ["tickets-report", "/tickets/reports"]] as const) {
      await page.goto(path);
      await settle(page);
      if (name === "ticket-new") {
        await page.getByLabel("Subject").fill("Replacement battery for the 18V drill");
        await page.getByLabel("Requester e-mail").fill("rita@customer.example");
        await page.getByLabel("Linked products").fill("drill");
        await expect(page.getByRole("list", { name: "Matching products" })).toContainText("Cordless drill 18V");
      }
      await shot(page, `${name}-1280-${scheme}`);
      await accessible(page, `${name} (1280, ${scheme})`);
    }
    await context.close();
  }

  const phone = await browser.newContext({ viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
  const page = await phone.newPage();
  await logIn(page, org.email);
  for (const [name, path] of [["tickets", "/tickets"], ["ticket", `/tickets/${main}`]] as const) {
    await page.goto(path);
    await settle(page);
    await shot(page, `${name}-360-light`);
    await accessible(page, `${name} (360, light)`);
  }
  await phone.close();
});
