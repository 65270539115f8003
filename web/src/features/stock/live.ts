import type { QueryClient } from "@tanstack/react-query";
import type { Schemas } from "@/api/client";
import { addDecimal, subtractDecimal } from "@/lib/decimal";
import { invalidateSoon } from "@/lib/invalidateSoon";
import { stockKeys } from "./keys";

type ProductStock = Schemas["ProductStock"];
type LevelRead = Schemas["LevelRead"];
/** A level as live events carry it (LevelRead without updated_at). */
export type NewLevel = Omit<LevelRead, "updated_at">;

const FIELDS = ["on_hand", "reserved", "available"] as const;

/** The product page's stock (per warehouse and location) with one location's new level.
 * Warehouse and product totals move by the same difference. Null when the location is not
 * in the cached figures (then the caller refetches). */
export function withLevel(stock: ProductStock, level: NewLevel): ProductStock | null {
  const warehouse = stock.warehouses.find((w) => w.warehouse_id === level.warehouse_id);
  const location = warehouse?.locations.find((l) => l.location_id === level.location_id);
  if (!warehouse || !location) return null;
  const delta = Object.fromEntries(FIELDS.map((f) => [f, subtractDecimal(level[f], location[f])])) as Record<(typeof FIELDS)[number], string>;
  const shift = <T extends Record<(typeof FIELDS)[number], string>>(row: T): T => ({
    ...row,
    on_hand: addDecimal(row.on_hand, delta.on_hand),
    reserved: addDecimal(row.reserved, delta.reserved),
    available: addDecimal(row.available, delta.available),
  });
  return {
    ...stock,
    totals: shift(stock.totals),
    warehouses: stock.warehouses.map((w) =>
      w.warehouse_id !== warehouse.warehouse_id
        ? w
        : {
            ...shift(w),
            locations: w.locations.map((l) =>
              l.location_id === level.location_id
                ? { ...l, on_hand: level.on_hand, reserved: level.reserved, available: level.available }
                : l,
            ),
          },
    ),
  };
}

/** New levels from inventory.stock.moved or a reservation event: every cache that shows
 * them is updated in place (no refetch); lists of movements refetch shortly after. */
export function applyLevels(client: QueryClient, levels: NewLevel[], at = new Date().toISOString()): void {
  for (const level of levels) {
    client.setQueryData<LevelRead | null>(stockKeys.level(level.product_id, level.location_id), (old) => ({
      ...(old ?? {}),
      ...level,
      updated_at: at,
    }));
    const key = stockKeys.productStock(level.product_id);
    const stock = client.getQueryData<ProductStock>(key);
    if (!stock) continue;
    const next = withLevel(stock, level);
    if (next) client.setQueryData(key, next);
    else void client.invalidateQueries({ queryKey: key });
  }
}

export function stockMoved(client: QueryClient, levels: NewLevel[]): void {
  applyLevels(client, levels);
  invalidateSoon(client, stockKeys.movementLists(), 500);
}

export function reservationChanged(client: QueryClient, level: NewLevel): void {
  applyLevels(client, [level]);
  invalidateSoon(client, stockKeys.reservationLists(), 300);
  invalidateSoon(client, stockKeys.movementLists(), 500);
}

export function resyncStock(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: stockKeys.all });
}
