import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { APIRequestContext, Browser, BrowserContext, Page } from "@playwright/test";
import { expect } from "@playwright/test";

export const PASSWORD = "correct horse battery staple";
let serial = 0;

/** A unique address per journey: every journey has an organisation of its own. */
export function uniqueEmail(who: string): string {
  serial += 1;
  return `${who}.${Date.now().toString(36)}${serial}@e2e.example`;
}

export interface Org {
  email: string;
  token: string;
  tenantId: string;
}

/** A new organisation and its owner, through the public API. */
export async function createOrg(request: APIRequestContext, name = "E2E Supplies"): Promise<Org> {
  const email = uniqueEmail("owner");
  const response = await request.post("/api/v1/auth/signup", { data: { organization: name, email, password: PASSWORD, full_name: "Olivia Owner" } });
  expect(response.status(), await response.text()).toBe(201);
  const body = (await response.json()) as { access_token: string; tenant: { id: string } };
  return { email, token: body.access_token, tenantId: body.tenant.id };
}

/** A typed little REST helper with the org's token. */
export function rest(request: APIRequestContext, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const call = async <T>(method: "get" | "post" | "patch" | "delete", path: string, data?: unknown, expected = [200, 201, 202, 204]): Promise<T> => {
    const response = await request[method](`/api/v1${path}`, { headers, data: data as never });
    expect(expected, `${method.toUpperCase()} ${path}: ${response.status()} ${await response.text()}`).toContain(response.status());
    return (response.status() === 204 ? null : await response.json()) as T;
  };
  return {
    get: <T>(path: string) => call<T>("get", path),
    post: <T>(path: string, data?: unknown) => call<T>("post", path, data),
    patch: <T>(path: string, data?: unknown) => call<T>("patch", path, data),
  };
}

export interface Seeded {
  warehouse: { id: string; code: string; default_location_id: string };
  bins: Record<string, string>;
  products: { id: string; sku: string; name: string; barcode: string | null }[];
}

/** A warehouse with bins and a few products, through the public API. */
export async function seedBasics(request: APIRequestContext, token: string, products = 3): Promise<Seeded> {
  const api = rest(request, token);
  const warehouse = await api.post<Seeded["warehouse"]>("/warehouses", { code: "MAIN", name: "Main warehouse", address: "Dock 4" });
  const bins: Record<string, string> = {};
  for (const code of ["A-01-01", "A-01-02", "B-02-01"]) {
    const bin = await api.post<{ id: string }>("/locations", { warehouse_id: warehouse.id, code, name: `Aisle ${code[0]}` });
    bins[code] = bin.id;
  }
  const made: Seeded["products"] = [];
  for (let i = 1; i <= products; i += 1) {
    made.push(
      await api.post("/products", {
        sku: `DRL-${100 + i}`,
        name: `Cordless drill ${i}8V`,
        unit: "pcs",
        barcode: `400638133393${i}`,
        reorder_point: "5",
        reorder_quantity: "20",
      }),
    );
  }
  return { warehouse, bins, products: made };
}

export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("navigation", { name: "Main" }).or(page.getByRole("navigation", { name: "Quick" })).first()).toBeVisible();
}

export async function newUserPage(browser: Browser, email: string, options: Parameters<Browser["newContext"]>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await logIn(page, email);
  return { context, page };
}

/** Wait for the live connection (the indicator says Live). */
export async function waitLive(page: Page): Promise<void> {
  await expect(page.getByTestId("connection-status").first()).toHaveAttribute("data-status", "live");
}

const SHOTS = process.env.QM_E2E_SCREENSHOTS ?? join("test-results", "screenshots");

/** Save a screenshot of the current screen (the README shows these). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => document.fonts?.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), animations: "disabled", caret: "hide" });
}

/** The token of the newest invitation mailed to `to` (read from the app's mail queue). */
export async function mailedInvitationToken(request: APIRequestContext, to: string): Promise<string> {
  const mailbox = process.env.QM_E2E_MAILBOX_URL;
  if (!mailbox) throw new Error("QM_E2E_MAILBOX_URL is not set (tests/web/test_e2e.py sets it)");
  const response = await request.get(`${mailbox}/token?to=${encodeURIComponent(to)}&kind=identity.invitation`);
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** Someone invited into the org who accepted with PASSWORD, all through the API. */
export async function addMember(request: APIRequestContext, token: string, role: string, name: string): Promise<string> {
  const email = uniqueEmail(role);
  await rest(request, token).post("/invitations", { email, role });
  const invitation = await mailedInvitationToken(request, email);
  const accepted = await request.post("/api/v1/auth/invitations/accept", { data: { token: invitation, password: PASSWORD, full_name: name } });
  expect(accepted.status(), await accepted.text()).toBe(200);
  return email;
}

/** WCAG 2 A/AA checks (labels, names, contrast, landmarks) by axe-core: nothing serious. */
export async function accessible(page: Page, screen: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = serious.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  expect(described, `${screen}`).toEqual([]);
}
