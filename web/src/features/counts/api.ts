import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { findProductByCode } from "@/features/products";
import type { CountEntry, KnownProduct } from "./queue";
import { knownProduct, rememberProduct } from "./queue";
import type { SyncDeps } from "./sync";

export function sendCount(entry: CountEntry & { productId: string }) {
  return unwrap(
    api.POST("/api/v1/stock/counts", {
      params: { header: { "Idempotency-Key": entry.id } },
      body: {
        location_id: entry.locationId,
        counted_at: entry.countedAt,
        lines: [{ product_id: entry.productId, counted_quantity: entry.countedQuantity }],
        reference: "Cycle count",
      },
    }),
  ).then((answer) => ({ adjustment: answer.lines[0]?.adjustment ?? "0" }));
}

/** A scanned code → product: the server when it answers, else what this device has seen. */
export async function lookupForCount(client: QueryClient, tenantId: string, code: string): Promise<{ product: KnownProduct | null; offline: boolean }> {
  try {
    const product = await findProductByCode(client, code);
    if (product) {
      const known = { id: product.id, sku: product.sku, name: product.name, unit: product.unit, barcode: product.barcode };
      await rememberProduct(tenantId, known);
      return { product: known, offline: false };
    }
    return { product: null, offline: false };
  } catch {
    return { product: await knownProduct(tenantId, code), offline: true };
  }
}

export function syncDeps(client: QueryClient, tenantId: string): SyncDeps {
  return {
    send: sendCount,
    resolve: async (code) => {
      const product = await findProductByCode(client, code);
      if (!product) return null;
      const known = { id: product.id, sku: product.sku, name: product.name, unit: product.unit, barcode: product.barcode };
      await rememberProduct(tenantId, known);
      return known;
    },
  };
}
