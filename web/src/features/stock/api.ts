import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { stockKeys } from "./keys";
import type { MovementFilters, ReservationFilters } from "./keys";

export type MovementLine = Schemas["MovementLine"];
export type MovementBatch = Schemas["MovementBatchRead"];
export type Reservation = Schemas["ReservationRead"];

export function useProductStock(productId: string | undefined) {
  return useQuery({
    queryKey: stockKeys.productStock(productId ?? ""),
    enabled: !!productId,
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/products/{product_id}/stock", { params: { path: { product_id: productId as string } }, signal })),
  });
}

/** One product's level at one location (null when it has never had stock there). */
export function useLocationLevel(productId: string | undefined, locationId: string | undefined) {
  return useQuery({
    queryKey: stockKeys.level(productId ?? "", locationId ?? ""),
    enabled: !!productId && !!locationId,
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        api.GET("/api/v1/stock/levels", {
          params: { query: { product_id: productId, location_id: locationId, limit: 1 } },
          signal,
        }),
      );
      const first = page.items[0];
      return first && "location_id" in first ? first : null;
    },
  });
}

export function useMovements(filters: MovementFilters) {
  return useQuery({
    queryKey: stockKeys.movements(filters),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/stock/movements", {
          params: {
            query: {
              product_id: filters.productId,
              warehouse_id: filters.warehouseId,
              location_id: filters.locationId,
              limit: filters.limit ?? 20,
            },
          },
          signal,
        }),
      ),
    select: (page) => page.items,
  });
}

export function useReservations(filters: ReservationFilters, enabled = true) {
  return useQuery({
    queryKey: stockKeys.reservations(filters),
    enabled,
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/stock/reservations", {
          params: {
            query: {
              product_id: filters.productId,
              location_id: filters.locationId,
              status: filters.status,
              limit: 100,
            },
          },
          signal,
        }),
      ),
    select: (page) => page.items,
  });
}

/** One batch of movement lines, retry-safe: the same Idempotency-Key never records twice. */
export function recordMovements(
  body: { lines: MovementLine[]; reference?: string | null; note?: string | null },
  idempotencyKey: string,
): Promise<MovementBatch> {
  return unwrap(
    api.POST("/api/v1/stock/movements", {
      params: { header: { "Idempotency-Key": idempotencyKey } },
      body,
    }),
  );
}

export function createReservation(body: Schemas["ReservationCreate"], idempotencyKey: string) {
  return unwrap(
    api.POST("/api/v1/stock/reservations", {
      params: { header: { "Idempotency-Key": idempotencyKey } },
      body,
    }),
  );
}

export function fulfilReservation(id: string) {
  return unwrap(api.POST("/api/v1/stock/reservations/{reservation_id}/fulfil", { params: { path: { reservation_id: id } } }));
}

export function releaseReservation(id: string) {
  return unwrap(api.DELETE("/api/v1/stock/reservations/{reservation_id}", { params: { path: { reservation_id: id } } }));
}
