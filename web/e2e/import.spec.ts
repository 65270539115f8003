import { expect, test } from "@playwright/test";
import { createOrg, logIn, rest, shot } from "./support";

function csv(rows: number): string {
  const lines = ["sku,name,unit,reorder_point"];
  for (let i = 1; i <= rows; i += 1) {
    if (i === 7) lines.push(`BAD-${i},Furlong thing,furlong,1`);
    else if (i === 19) lines.push(`BAD-${i},Negative reorder,pcs,-4`);
    else lines.push(`IMP-${String(i).padStart(4, "0")},Imported part ${i},pcs,${i % 9}`);
  }
  return lines.join("\n") + "\n";
}

test("an import with bad rows shows its progress, then the rows to fix", async ({ page, request }) => {
  const org = await createOrg(request);
  await logIn(page, org.email);
  await page.getByRole("link", { name: "Imports & exports" }).first().click();

  const file = { name: "products.csv", mimeType: "text/csv", buffer: Buffer.from(csv(400)) };
  await page.getByLabel("CSV file to import").setInputFiles(file);
  await page.getByRole("button", { name: "Check file (dry run)" }).click();
  const card = page.getByTestId("job-card");
  await expect(card).toHaveAttribute("data-status", "succeeded");
  await expect(card).toContainText("This was a check only: nothing was written.");

  // Record every status and progress value the screen shows while the import runs.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver((changes) => {
      for (const change of changes) {
        const target = change.target as HTMLElement;
        const value = target.getAttribute(change.attributeName ?? "");
        if (value) seen.push(`${change.attributeName}=${value}`);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-status", "aria-valuenow"] });
  });
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(card).not.toContainText("This was a check only");
  await expect(card).toHaveAttribute("data-status", "succeeded");
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.some((s) => s === "data-status=queued" || s === "data-status=running"), seen.join(" ")).toBe(true);

  await expect(card).toContainText("2 row errors");
  const errors = card.getByRole("table", { name: "Row errors" });
  await expect(errors.getByRole("row")).toHaveCount(3);
  await expect(errors).toContainText("furlong");
  await expect(errors.getByRole("cell", { name: "8", exact: true })).toBeVisible(); // row 7 of data is row 8 of the file
  await expect(errors.getByRole("cell", { name: "20", exact: true })).toBeVisible();
  await shot(page, "imports");

  const listed = await rest(request, org.token).get<{ items: unknown[] }>("/products?q=IMP-&limit=500");
  expect(listed.items).toHaveLength(398);
  await expect(page.getByRole("list").filter({ hasText: "Product import" }).first()).toBeVisible();
});
