import { expect, test } from "@playwright/test";
import type { Page } from "@playwright/test";
import { accessible, addMember, createOrg, logIn, rest, shot, uniqueEmail, waitLive } from "./support";

/** An organisation with a little of everything, so each screen has something to show. */
async function seedShowcase(request: Parameters<typeof createOrg>[0]) {
  const org = await createOrg(request, "Acme Supplies");
  const api = rest(request, org.token);
  const tools = await api.post<{ id: string }>("/categories", { name: "Tools" });
  const power = await api.post<{ id: string }>("/categories", { name: "Power tools", parent_id: tools.id });
  const fasteners = await api.post<{ id: string }>("/categories", { name: "Fasteners" });
  const main = await api.post<{ id: string; default_location_id: string }>("/warehouses", { code: "MAIN", name: "Main warehouse", address: "Dock 4" });
  const east = await api.post<{ id: string; default_location_id: string }>("/warehouses", { code: "EAST", name: "East depot" });
  const bins: string[] = [];
  for (const code of ["A-01-01", "A-01-02", "A-02-01", "B-01-01"]) {
    bins.push((await api.post<{ id: string }>("/locations", { warehouse_id: main.id, code, name: `Aisle ${code[0]}, bay ${code.slice(2, 4)}` })).id);
  }
  const retail = await api.post<{ id: string }>("/price-lists", { name: "Retail EUR", currency: "EUR", is_default: true });
  const catalog = [
    ["DRL-18V", "Cordless drill 18V, 2 batteries", power.id, "4006381333931", 6, 129.9, 74.5],
    ["GRD-125", "Angle grinder 125 mm, 1100 W", power.id, "4006381333948", 4, 89.0, 51.2],
    ["SAW-JIG", "Jigsaw 650 W, pendulum action", power.id, "4006381333955", 3, 109.0, 63.0],
    ["HEX-M8-40", "Hex bolt M8 x 40 mm, zinc plated", fasteners.id, "4006381333962", 200, 0.18, 0.06],
    ["HEX-M10-60", "Hex bolt M10 x 60 mm, stainless A4", fasteners.id, "4006381333979", 150, 0.42, 0.19],
    ["WSH-M8", "Washer M8, DIN 125", fasteners.id, "4006381333986", 500, 0.04, 0.01],
    ["NUT-M8", "Hex nut M8, grade 8", fasteners.id, "4006381333993", 400, 0.06, 0.02],
  ] as const;
  const products: { id: string; name: string; sku: string }[] = [];
  for (const [sku, name, category, barcode, reorder, price, cost] of catalog) {
    const product = await api.post<{ id: string; name: string; sku: string }>("/products", { sku, name, unit: "pcs", category_id: category, barcode, reorder_point: String(reorder), reorder_quantity: String(reorder * 4) });
    products.push(product);
    await api.post(`/products/${product.id}/prices`, { price_list_id: retail.id, amount: String((price * 0.92).toFixed(2)), effective_from: "2026-01-01T00:00:00Z" });
    await api.post(`/products/${product.id}/prices`, { price_list_id: retail.id, amount: String(price) });
    await api.post("/stock/movements", {
      reference: "PO-1042",
      lines: [
        { kind: "receipt", product_id: product.id, to_location_id: bins[products.length % bins.length], quantity: String(reorder * 5), unit_cost: String(cost) },
        { kind: "receipt", product_id: product.id, to_location_id: east.default_location_id, quantity: String(reorder * 2), unit_cost: String(cost) },
      ],
    });
  }
  // Sales that take three products to their reorder point: open low-stock alerts.
  for (const product of products.slice(0, 3)) {
    const stock = await api.get<{ warehouses: { code: string; locations: { location_id: string; available: string }[] }[] }>(`/products/${product.id}/stock`);
    const where = stock.warehouses.find((w) => w.code === "MAIN")!.locations[0]!;
    await api.post("/stock/movements", { reference: "SO-2210", kind: "issue", product_id: product.id, from_location_id: where.location_id, quantity: String(Number(where.available) - 2) });
  }
  await api.post("/stock/reservations", { product_id: products[3]!.id, location_id: bins[0], quantity: "40", reference: "SO-2231" });
  await addMember(request, org.token, "staff", "Sam Staff");
  await addMember(request, org.token, "manager", "Mia Manager");
  await api.post("/invitations", { email: uniqueEmail("new.hire"), role: "staff" });
  await api.post("/api-keys", { name: "Warehouse scanner", role: "staff" });
  return { org, products };
}

async function settle(page: Page) {
  await page.waitForLoadState("networkidle");
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}

test("every main screen, light and dark, desk and phone", async ({ browser, request }) => {
  test.setTimeout(240_000);
  const { org, products } = await seedShowcase(request);
  const drill = products[0]!;

  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await logIn(page, org.email);
    await waitLive(page);
    const screens: [string, string][] = [
      ["dashboard", "/"],
      ["products", "/products"],
      ["product", `/products/${drill.id}`],
      ["stock", "/stock"],
      ["alerts", "/alerts"],
      ["jobs", "/jobs"],
      ["warehouses", "/warehouses"],
      ["members", "/members"],
      ["api-keys", "/api-keys"],
      ["audit", "/audit"],
    ];
    for (const [name, path] of screens) {
      await page.goto(path);
      await settle(page);
      await shot(page, `${name}-1280-${scheme}`);
      await accessible(page, `${name} (1280, ${scheme})`);
    }
    await context.close();
  }

  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 360, height: 760 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await logIn(page, org.email);
    for (const [name, path] of [["dashboard", "/"], ["products", "/products"], ["product", `/products/${drill.id}`], ["stock", "/stock"], ["counts", "/counts"]] as const) {
      await page.goto(path);
      await settle(page);
      await shot(page, `${name}-360-${scheme}`);
      await accessible(page, `${name} (360, ${scheme})`);
    }
    await page.goto("/stock/receive");
    await page.getByLabel("Into: location code").fill("A-01-02");
    await page.getByLabel("Into: location code").press("Enter");
    await page.getByLabel("Product").fill("4006381333931");
    await page.getByLabel("Product").press("Enter");
    await expect(page.getByTestId("chosen-product")).toBeVisible();
    await shot(page, `receive-360-${scheme}`);
    await context.close();
  }
});
