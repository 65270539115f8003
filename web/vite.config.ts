/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// `make dev-web` proxies the API (REST and the live WebSocket) to a running `make run`.
const api = `http://${process.env.QM_HOST ?? "127.0.0.1"}:${process.env.QM_PORT ?? "8000"}`;

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  plugins: [
    react(),
    tailwindcss(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: null, // registered from src/app/serviceWorker.ts
      includeAssets: ["favicon.svg", "icons/*.png"],
      manifest: {
        name: "Quartermaster",
        short_name: "Quartermaster",
        description: "Inventory: stock, counts, alerts and imports, live.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#f8fafc",
        theme_color: "#0f766e",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "/icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
        shortcuts: [
          { name: "Count stock", url: "/counts" },
          { name: "Receive stock", url: "/stock/receive" },
        ],
      },
      workbox: {
        // The shell: every built file; navigations fall back to index.html offline.
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//, /^\/docs/, /^\/(healthz|readyz|metrics)/],
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            // Recently viewed data, for reading offline; the network always wins when up.
            urlPattern: ({ url, request }) =>
              request.method === "GET" &&
              url.pathname.startsWith("/api/v1/") &&
              !/\/(ws|events\/stream|result|exports\/)/.test(url.pathname),
            handler: "NetworkFirst",
            options: {
              cacheName: "qm-api",
              networkTimeoutSeconds: 5,
              expiration: { maxEntries: 400, maxAgeSeconds: 7 * 24 * 3600 },
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
      },
    }),
  ],
  server: {
    proxy: {
      "/api": { target: api, ws: true, changeOrigin: false },
      "/docs": { target: api },
    },
  },
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
