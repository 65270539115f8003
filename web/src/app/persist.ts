/**
 * Recently viewed data kept in IndexedDB, so the app opens offline (a warehouse without
 * Wi-Fi) with what was last seen: who you are, warehouses and bins, units, categories, the
 * products and stock you looked at, open alerts. Big lists (the product pages) are left out;
 * the service worker's API cache covers what it saw too. One organisation at a time: the
 * cache is dropped when the organisation changes (`buster`) and cleared on logout.
 */
import { createAsyncStoragePersister } from "@tanstack/query-async-storage-persister";
import type { Query } from "@tanstack/react-query";
import type { PersistQueryClientOptions } from "@tanstack/react-query-persist-client";
import { openDB } from "idb";

const KEPT = new Set(["me", "warehouses", "units", "categories", "price-lists", "alerts"]);
const KEPT_PRODUCT_PARTS = new Set(["detail", "prices"]);

function idbStorage() {
  const db = openDB("qm-cache", 1, {
    upgrade(database) {
      database.createObjectStore("kv");
    },
  });
  return {
    getItem: async (key: string) => ((await (await db).get("kv", key)) as string | undefined) ?? null,
    setItem: async (key: string, value: string) => {
      await (await db).put("kv", value, key);
    },
    removeItem: async (key: string) => {
      await (await db).delete("kv", key);
    },
  };
}

export function shouldKeep(query: Query): boolean {
  if (query.state.status !== "success") return false;
  const [root, part] = query.queryKey as [string, string?];
  if (KEPT.has(root)) return true;
  if (root === "products") return KEPT_PRODUCT_PARTS.has(part ?? "");
  if (root === "stock") return part === "product" || part === "level";
  return false;
}

export function persistOptions(tenantId: string | null): Omit<PersistQueryClientOptions, "queryClient"> {
  return {
    persister: createAsyncStoragePersister({ storage: typeof indexedDB === "undefined" ? undefined : idbStorage(), key: "qm.queries", throttleTime: 1000 }),
    maxAge: 7 * 24 * 3600_000,
    buster: tenantId ?? "signed-out",
    dehydrateOptions: { shouldDehydrateQuery: shouldKeep },
  };
}
