import { useQueries, useQuery } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Location, Warehouse } from "@/api/client";

export const warehouseKeys = {
  all: ["warehouses"] as const,
  list: () => [...warehouseKeys.all, "list"] as const,
  locations: (warehouseId: string) => [...warehouseKeys.all, "locations", warehouseId] as const,
  allLocations: () => [...warehouseKeys.all, "locations"] as const,
};

export function fetchWarehouses(): Promise<Warehouse[]> {
  return unwrap(api.GET("/api/v1/warehouses", { params: { query: { limit: 500 } } })).then((p) => p.items);
}

function warehousesQuery() {
  return { queryKey: warehouseKeys.list(), queryFn: fetchWarehouses, staleTime: 5 * 60_000 };
}

export function useWarehouses() {
  return useQuery(warehousesQuery());
}

/** The warehouses from the cache, or fetched now (a scan can come before a page's list). */
export function loadWarehouses(client: QueryClient): Promise<Warehouse[]> {
  return client.fetchQuery(warehousesQuery());
}

/** Every location of a warehouse (a warehouse has at most a few thousand bins). */
export async function fetchLocations(warehouseId: string): Promise<Location[]> {
  const all: Location[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await unwrap(
      api.GET("/api/v1/locations", {
        params: { query: { warehouse_id: warehouseId, limit: 500, cursor: cursor ?? undefined } },
      }),
    );
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

export function locationsQuery(warehouseId: string) {
  return {
    queryKey: warehouseKeys.locations(warehouseId),
    queryFn: () => fetchLocations(warehouseId),
    staleTime: 5 * 60_000,
  };
}

/** A warehouse's locations from the cache, or fetched now. */
export function loadLocations(client: QueryClient, warehouseId: string): Promise<Location[]> {
  return client.fetchQuery(locationsQuery(warehouseId));
}

export function useLocations(warehouseId: string | null | undefined) {
  return useQuery({ ...locationsQuery(warehouseId ?? ""), enabled: !!warehouseId });
}

/** A scanned location code in a warehouse (case-insensitive), or null. */
export async function findLocationByCode(client: QueryClient, warehouseId: string, code: string): Promise<Location | null> {
  const wanted = code.trim().toLowerCase();
  if (!wanted) return null;
  const locations = await client.fetchQuery({ ...locationsQuery(warehouseId), retry: false, networkMode: "always" });
  return locations.find((l) => l.code.toLowerCase() === wanted) ?? null;
}

export interface LocationInfo {
  id: string;
  code: string;
  name: string;
  warehouseId: string;
  warehouseCode: string;
}

/** Every location of every warehouse by id, for lists that carry only location ids. */
export function useLocationIndex(): Map<string, LocationInfo> {
  const { data: warehouses } = useWarehouses();
  const results = useQueries({ queries: (warehouses ?? []).map((w) => locationsQuery(w.id)) });
  const index = new Map<string, LocationInfo>();
  (warehouses ?? []).forEach((warehouse, i) => {
    for (const location of results[i]?.data ?? []) {
      index.set(location.id, { id: location.id, code: location.code, name: location.name, warehouseId: warehouse.id, warehouseCode: warehouse.code });
    }
  });
  return index;
}

/** A scanned bin code: in the preferred warehouse first, else in the one other warehouse
 * that has it (a worker who scans a MAIN bin while EAST is selected gets the MAIN bin). */
export async function findLocationAnywhere(
  client: QueryClient,
  warehouses: Warehouse[],
  preferredId: string,
  code: string,
): Promise<{ location: Location | null; elsewhere: Warehouse[] }> {
  const here = await findLocationByCode(client, preferredId, code);
  if (here) return { location: here, elsewhere: [] };
  const others = warehouses.filter((w) => w.id !== preferredId && w.is_active);
  const found = await Promise.all(others.map((w) => findLocationByCode(client, w.id, code).catch(() => null)));
  const hits = found.flatMap((location, i) => (location ? [{ location, warehouse: others[i]! }] : []));
  if (hits.length === 1) return { location: hits[0]!.location, elsewhere: [] };
  return { location: null, elsewhere: hits.map((h) => h.warehouse) };
}
