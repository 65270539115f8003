/** The service worker (vite-plugin-pwa / Workbox): app shell precached, recently viewed API
 * data cached for offline reading (cache "qm-api", cleared on logout and organisation switch). */
const API_CACHE = "qm-api";

export async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator) || import.meta.env.DEV) return;
  const { registerSW } = await import("virtual:pwa-register");
  registerSW({ immediate: true });
}

export async function clearOfflineApiCache(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(API_CACHE).catch(() => false);
}
