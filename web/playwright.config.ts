import { defineConfig } from "@playwright/test";

/**
 * End-to-end journeys in the machine's Chromium (never a downloaded browser), against a real
 * server started by tests/web/test_e2e.py (real PostgreSQL, Redis, relay and job worker),
 * which passes its address in QM_E2E_BASE_URL and the browser in QM_CHROMIUM.
 */
const baseURL = process.env.QM_E2E_BASE_URL;
const chromium = process.env.QM_CHROMIUM;
if (!baseURL || !chromium) {
  throw new Error("Run the journeys through `make test` or `uv run pytest tests/web/test_e2e.py` (they start the server).");
}

export default defineConfig({
  testDir: "e2e",
  timeout: 90_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results/artifacts",
  use: {
    baseURL,
    viewport: { width: 1280, height: 860 },
    actionTimeout: 20_000,
    navigationTimeout: 30_000,
    trace: "off",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      // As root Chromium needs --no-sandbox; the rest keep it off the (closed) network.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    },
  },
});
