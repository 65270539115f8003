import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import type { QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Product, Schemas } from "@/api/client";
import { productKeys } from "./keys";
import type { ProductFilters } from "./keys";

export const PAGE_SIZE = 200;

export function useProductPages(filters: ProductFilters) {
  return useInfiniteQuery({
    queryKey: productKeys.list(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/products", {
          params: {
            query: {
              q: filters.q.trim() || undefined,
              category_id: filters.categoryId ?? undefined,
              below_reorder: filters.belowReorder ? true : undefined,
              is_active: filters.archived ? false : true,
              sort: filters.sort,
              order: filters.sort === "updated_at" ? "desc" : "asc",
              limit: PAGE_SIZE,
              cursor: pageParam ?? undefined,
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
}

export function fetchProduct(id: string, signal?: AbortSignal): Promise<Product> {
  return unwrap(api.GET("/api/v1/products/{product_id}", { params: { path: { product_id: id } }, signal }));
}

export function useProduct(id: string | undefined) {
  return useQuery({
    queryKey: productKeys.detail(id ?? ""),
    queryFn: ({ signal }) => fetchProduct(id as string, signal),
    enabled: !!id,
  });
}

/** Product names for lists that carry only ids (movements, alerts, levels). Each product is
 * fetched once and shared with the product page's cache. */
export function productQuery(id: string) {
  return {
    queryKey: productKeys.detail(id),
    queryFn: ({ signal }: { signal: AbortSignal }) => fetchProduct(id, signal),
    staleTime: 5 * 60_000,
  };
}

export function useCategories() {
  return useQuery({
    queryKey: productKeys.categories(),
    queryFn: () => unwrap(api.GET("/api/v1/categories", { params: { query: { limit: 500 } } })),
    staleTime: 5 * 60_000,
    select: (page) => page.items,
  });
}

export function useUnits() {
  return useQuery({
    queryKey: productKeys.units(),
    queryFn: () => unwrap(api.GET("/api/v1/units", { params: { query: { limit: 500 } } })),
    staleTime: 30 * 60_000,
    select: (page) => page.items,
  });
}

export function usePriceLists() {
  return useQuery({
    queryKey: productKeys.priceLists(),
    queryFn: () => unwrap(api.GET("/api/v1/price-lists", { params: { query: { limit: 100 } } })),
    staleTime: 10 * 60_000,
    select: (page) => page.items,
  });
}

export function useProductPrices(id: string) {
  return useQuery({
    queryKey: productKeys.prices(id),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/products/{product_id}/prices", { params: { path: { product_id: id } }, signal })),
  });
}

/** A scanned or typed code: the product whose barcode is exactly it, else whose SKU is it
 * (case-insensitive). Null when there is none. */
export async function findProductByCode(client: QueryClient, code: string): Promise<Product | null> {
  const wanted = code.trim();
  if (!wanted) return null;
  return client.fetchQuery({
    queryKey: productKeys.lookup(wanted),
    staleTime: 60_000,
    // A scan needs an answer now: offline is an error to handle, not a pause until online.
    retry: false,
    networkMode: "always",
    queryFn: async () => {
      const page = await unwrap(
        api.GET("/api/v1/products", { params: { query: { q: wanted, limit: 50, is_active: true } } }),
      );
      const lower = wanted.toLowerCase();
      const match =
        page.items.find((p) => p.barcode === wanted) ??
        page.items.find((p) => p.sku.toLowerCase() === lower) ??
        null;
      if (match) client.setQueryData(productKeys.detail(match.id), match);
      return match;
    },
  });
}

/** Search suggestions for a product field (typing a name instead of scanning). */
export function useProductSuggestions(term: string) {
  const client = useQueryClient();
  const q = term.trim();
  return useQuery({
    queryKey: [...productKeys.all, "suggest", q.toLowerCase()],
    enabled: q.length >= 2,
    staleTime: 30_000,
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        api.GET("/api/v1/products", { params: { query: { q, limit: 8, is_active: true } }, signal }),
      );
      for (const product of page.items) client.setQueryData(productKeys.detail(product.id), product);
      return page.items;
    },
  });
}

export type ProductCreate = Schemas["ProductCreate"];
export type ProductUpdate = Schemas["ProductUpdate"];

export function createProduct(body: ProductCreate): Promise<Product> {
  return unwrap(api.POST("/api/v1/products", { body }));
}

/** PATCH with If-Match: a 412 means someone else changed the product meanwhile. */
export function updateProduct(product: Product, body: ProductUpdate): Promise<Product> {
  return unwrap(
    api.PATCH("/api/v1/products/{product_id}", {
      params: { path: { product_id: product.id }, header: { "If-Match": `"${product.version}"` } },
      body,
    }),
  );
}
