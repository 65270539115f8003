import { useVirtualizer } from "@tanstack/react-virtual";
import { PackageSearch } from "lucide-react";
import { useEffect, useMemo, useRef } from "react";
import type { KeyboardEvent } from "react";
import { Link, useNavigate } from "react-router";
import type { Product } from "@/api/client";
import { formatQuantity, formatRelative } from "@/lib/format";
import { Badge, EmptyState } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useCategories, useProductPages } from "./api";
import type { ProductFilters } from "./keys";

// Dense rows on a desk screen; two lines (name, then SKU and category) on a phone.
const rowHeight = () => (window.matchMedia?.("(min-width: 768px)").matches ? 44 : 60);
const COLUMNS = "grid grid-cols-[minmax(0,1fr)_auto] md:grid-cols-[12rem_minmax(0,2fr)_minmax(0,1fr)_3.5rem_6rem_7.5rem] items-center gap-x-4";

/** The product list: virtualised (only the rows on screen exist), loading further pages as
 * you scroll; arrow keys move between rows, Enter opens one. */
export function ProductTable({ filters, emptyAction }: { filters: ProductFilters; emptyAction?: React.ReactNode }) {
  const query = useProductPages(filters);
  const { data: categories } = useCategories();
  const paths = useMemo(() => new Map((categories ?? []).map((c) => [c.id, c.path])), [categories]);
  const products = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const scroller = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const more = query.hasNextPage ? 1 : 0;

  const virtualizer = useVirtualizer({
    count: products.length + more,
    getScrollElement: () => scroller.current,
    estimateSize: rowHeight,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];

  useEffect(() => {
    if (last && last.index >= products.length - 40 && query.hasNextPage && !query.isFetchingNextPage) {
      void query.fetchNextPage();
    }
  }, [last, products.length, query]);

  const move = (event: KeyboardEvent<HTMLDivElement>) => {
    const current = (event.target as HTMLElement).closest<HTMLElement>("[data-index]");
    if (!current) return;
    const index = Number(current.dataset.index);
    let next: number | null = null;
    if (event.key === "ArrowDown") next = Math.min(index + 1, products.length - 1);
    else if (event.key === "ArrowUp") next = Math.max(index - 1, 0);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = products.length - 1;
    if (next === null) return;
    event.preventDefault();
    virtualizer.scrollToIndex(next, { align: "auto" });
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${next}"] a`)?.focus());
  };

  if (query.error && !products.length) return <ErrorNotice error={query.error} title="Products could not be loaded" />;
  if (query.data && !products.length) {
    return (
      <EmptyState icon={<PackageSearch />} title={filters.q || filters.categoryId || filters.belowReorder ? "No product matches" : "No products yet"} action={emptyAction}>
        {filters.q || filters.categoryId || filters.belowReorder ? "Try fewer words or clear a filter." : "Import a CSV from your spreadsheet, or add the first product by hand."}
      </EmptyState>
    );
  }

  return (
    <div className="text-sm">
      {/* Column titles for the eye; each row is one link whose text says it all. */}
      <div aria-hidden className={`${COLUMNS} hidden border-b border-line px-4 py-2 text-xs font-medium uppercase tracking-wide text-muted md:grid`}>
        <span>SKU</span>
        <span>Name</span>
        <span>Category</span>
        <span>Unit</span>
        <span className="text-right">Reorder at</span>
        <span className="text-right">Changed</span>
      </div>
      <div ref={scroller} onKeyDown={move} className="h-[calc(100dvh-17rem)] min-h-80 overflow-y-auto md:h-[calc(100dvh-16rem)]" data-testid="product-scroller">
        <div role="list" aria-label="Products" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((row) => {
            const product: Product | undefined = products[row.index];
            return (
              <div
                key={row.key}
                role="listitem"
                data-index={row.index}
                aria-setsize={query.hasNextPage ? -1 : products.length}
                aria-posinset={row.index + 1}
                className="absolute inset-x-0 border-b border-line hover:bg-raised"
                style={{ height: row.size, transform: `translateY(${row.start}px)` }}
              >
                {product ? (
                  <Link
                    to={`/products/${product.id}`}
                    onDoubleClick={() => navigate(`/products/${product.id}`)}
                    className={`${COLUMNS} h-full px-4 focus:bg-accent-soft focus:outline-none`}
                  >
                    <span className="hidden truncate font-mono text-xs text-muted md:block">{product.sku}</span>
                    <span className="min-w-0">
                      <span className="block truncate font-medium">{product.name}</span>
                      <span className="block truncate text-xs text-muted md:hidden">
                        <span className="font-mono">{product.sku}</span>
                        {product.category_id ? ` · ${paths.get(product.category_id) ?? ""}` : ""}
                      </span>
                    </span>
                    <span className="hidden truncate text-muted md:block">{product.category_id ? paths.get(product.category_id) ?? "…" : "—"}</span>
                    <span className="hidden text-muted md:block">{product.unit}</span>
                    <span className="num text-right">
                      {product.is_active ? (Number(product.reorder_point) > 0 ? formatQuantity(product.reorder_point) : <span className="text-muted">—</span>) : <Badge>Archived</Badge>}
                    </span>
                    <span className="hidden text-right text-xs text-muted md:block">{formatRelative(product.updated_at)}</span>
                  </Link>
                ) : (
                  <div className="flex h-full items-center px-4 text-muted">Loading more…</div>
                )}
              </div>
            );
          })}
        </div>
      </div>
      <p className="border-t border-line px-4 py-2 text-xs text-muted" aria-live="polite">
        {products.length.toLocaleString()} {query.hasNextPage ? "loaded — more as you scroll" : products.length === 1 ? "product" : "products"}
      </p>
    </div>
  );
}
