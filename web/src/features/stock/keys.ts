export interface MovementFilters {
  productId?: string;
  warehouseId?: string;
  locationId?: string;
  limit?: number;
}

export interface ReservationFilters {
  productId?: string;
  locationId?: string;
  status?: "active" | "fulfilled" | "released" | "expired";
}

export const stockKeys = {
  all: ["stock"] as const,
  productStocks: () => [...stockKeys.all, "product"] as const,
  productStock: (productId: string) => [...stockKeys.productStocks(), productId] as const,
  levels: () => [...stockKeys.all, "level"] as const,
  level: (productId: string, locationId: string) => [...stockKeys.levels(), productId, locationId] as const,
  movementLists: () => [...stockKeys.all, "movements"] as const,
  movements: (filters: MovementFilters) => [...stockKeys.movementLists(), filters] as const,
  reservationLists: () => [...stockKeys.all, "reservations"] as const,
  reservations: (filters: ReservationFilters) => [...stockKeys.reservationLists(), filters] as const,
};
