import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import type { Product, Schemas } from "@/api/client";
import { invalidateSoon } from "@/lib/invalidateSoon";
import { productKeys } from "./keys";
import type { ProductFilters } from "./keys";

type ProductPage = Schemas["Page_ProductRead_"];

function belongs(product: Product, filters: ProductFilters): boolean {
  return filters.archived ? !product.is_active : product.is_active;
}

/** catalog.product.created | updated | archived: the event carries the whole product. */
export function applyProduct(client: QueryClient, product: Product, created = false): void {
  client.setQueryData(productKeys.detail(product.id), product);
  const lists = client.getQueriesData<InfiniteData<ProductPage>>({ queryKey: productKeys.lists() });
  for (const [key, data] of lists) {
    if (!data) continue;
    const filters = key[2] as ProductFilters;
    let found = false;
    const pages = data.pages.map((page) => {
      const items: Product[] = [];
      for (const item of page.items) {
        if (item.id !== product.id) {
          items.push(item);
          continue;
        }
        found = true;
        if (belongs(product, filters)) items.push(product);
      }
      return { ...page, items };
    });
    if (found) client.setQueryData(key, { ...data, pages });
  }
  // Where a new (or newly un-archived) product sorts is the server's business.
  if (created || !product.is_active) invalidateSoon(client, productKeys.lists());
  invalidateSoon(client, productKeys.lookups(), 200);
}

/** catalog.product.deleted */
export function removeProduct(client: QueryClient, id: string): void {
  client.removeQueries({ queryKey: productKeys.detail(id) });
  const lists = client.getQueriesData<InfiniteData<ProductPage>>({ queryKey: productKeys.lists() });
  for (const [key, data] of lists) {
    if (!data) continue;
    client.setQueryData(key, {
      ...data,
      pages: data.pages.map((page) => ({ ...page, items: page.items.filter((p) => p.id !== id) })),
    });
  }
}

/** catalog.product.imported (one per committed chunk) */
export function productsImported(client: QueryClient): void {
  invalidateSoon(client, productKeys.lists(), 1500);
  invalidateSoon(client, productKeys.details(), 1500);
}

/** catalog.price.changed */
export function priceChanged(client: QueryClient, productId: string): void {
  void client.invalidateQueries({ queryKey: productKeys.prices(productId) });
}

export function resyncCatalog(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: productKeys.all });
}
