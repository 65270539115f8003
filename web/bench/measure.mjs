// Browser-side measurements for bench/web.py (never run by the tests): the products screen
// with many products (time from navigation start to rows on screen and a responsive page;
// frame times while scrolling) and the delay from a movement's 201 to the new level on a
// second screen. Prints one JSON object on the last line.
import { chromium } from "@playwright/test";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("QM_BENCH_URL");
const runs = Number(process.env.QM_BENCH_RUNS ?? "5");
const events = Number(process.env.QM_BENCH_EVENTS ?? "20");
const args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const browser = await chromium.launch({ executablePath: env("QM_CHROMIUM"), args });

async function signedIn() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("E-mail").fill(env("QM_BENCH_EMAIL"));
  await page.getByLabel("Password").fill(env("QM_BENCH_PASSWORD"));
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  return { context, page };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const result = { products: {}, scrolling: {}, live: {} };

// 1. The products screen, each run a fresh navigation (a full page load, cold JS parse).
{
  const { context, page } = await signedIn();
  const ready = [];
  for (let run = 0; run < runs; run += 1) {
    await page.goto(`${base}/products?run=${run}`);
    await page.locator('[data-testid="product-scroller"] [data-index="0"] a').waitFor();
    // Interactive: rows are on screen and the main thread answers a frame right after.
    const ms = await page.evaluate(
      () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0))),
    );
    ready.push(ms);
  }
  result.products = { runs, ready_ms: ready.map((v) => Math.round(v)), p50_ms: Math.round(percentile(ready, 50)), max_ms: Math.round(Math.max(...ready)) };

  // 2. Scrolling: 4 s of steady scrolling down the list, loading pages on the way.
  const frames = await page.evaluate(async () => {
    const scroller = document.querySelector('[data-testid="product-scroller"]');
    const deltas = [];
    let last = performance.now();
    const end = last + 4000;
    while (performance.now() < end) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
      scroller.scrollTop += 240; // a brisk fling: about 14,000 px a second
    }
    return { deltas, rows: document.querySelectorAll('[data-testid="product-scroller"] [data-index]').length, top: scroller.scrollTop };
  });
  result.scrolling = {
    frames: frames.deltas.length,
    p50_frame_ms: Number(percentile(frames.deltas, 50).toFixed(1)),
    p95_frame_ms: Number(percentile(frames.deltas, 95).toFixed(1)),
    long_frames: frames.deltas.filter((d) => d > 50).length,
    rows_in_dom: frames.rows,
    scrolled_px: Math.round(frames.top),
  };
  await context.close();
}

// 3. Live: a second screen shows the new level; delay from the 201 (same machine clock).
{
  const watcher = await signedIn();
  await watcher.page.goto(`${base}/products/${env("QM_BENCH_PRODUCT")}`);
  const cell = watcher.page.getByTestId("stock-on-hand");
  await cell.waitFor();
  await watcher.page.getByTestId("connection-status").first().and(watcher.page.locator('[data-status="live"]')).waitFor();
  await watcher.page.evaluate(() => {
    window.__seen = [];
    const target = document.querySelector('[data-testid="stock-on-hand"]');
    new MutationObserver(() => window.__seen.push({ text: target.textContent, at: performance.timeOrigin + performance.now() })).observe(target, { childList: true, characterData: true, subtree: true });
  });
  const writer = await signedIn();
  const latencies = [];
  for (let n = 1; n <= events; n += 1) {
    const at = await writer.page.evaluate(
      async ({ product, location, token }) => {
        const response = await fetch("/api/v1/stock/movements", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
          body: JSON.stringify({ kind: "receipt", product_id: product, to_location_id: location, quantity: "1" }),
        });
        if (response.status !== 201) throw new Error(`movement: ${response.status}`);
        return performance.timeOrigin + performance.now();
      },
      { product: env("QM_BENCH_PRODUCT"), location: env("QM_BENCH_LOCATION"), token: env("QM_BENCH_TOKEN") },
    );
    const expected = `${n} pcs`;
    await watcher.page.waitForFunction((text) => window.__seen.some((s) => s.text === text), expected, { timeout: 15_000 });
    const shown = await watcher.page.evaluate((text) => window.__seen.find((s) => s.text === text).at, expected);
    latencies.push(shown - at);
  }
  result.live = { events, p50_ms: Math.round(percentile(latencies, 50)), p95_ms: Math.round(percentile(latencies, 95)), max_ms: Math.round(Math.max(...latencies)) };
}

await browser.close();
console.log(JSON.stringify(result));
