export interface ProductFilters {
  q: string;
  categoryId: string | null;
  belowReorder: boolean;
  archived: boolean;
  sort: "sku" | "name" | "updated_at";
}

/** Every products query key comes from here (live updates and mutations use the same). */
export const productKeys = {
  all: ["products"] as const,
  lists: () => [...productKeys.all, "list"] as const,
  list: (filters: ProductFilters) => [...productKeys.lists(), filters] as const,
  lookups: () => [...productKeys.all, "lookup"] as const,
  lookup: (code: string) => [...productKeys.lookups(), code.trim().toLowerCase()] as const,
  details: () => [...productKeys.all, "detail"] as const,
  detail: (id: string) => [...productKeys.details(), id] as const,
  prices: (id: string) => [...productKeys.all, "prices", id] as const,
  categories: () => ["categories"] as const,
  units: () => ["units"] as const,
  priceLists: () => ["price-lists"] as const,
};
