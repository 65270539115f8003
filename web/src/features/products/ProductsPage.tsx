import { Plus, Search, UploadCloud } from "lucide-react";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { useCan } from "@/auth/context";
import { useDebounced } from "@/lib/useDebounced";
import { ButtonLink } from "@/ui/Button";
import { CheckboxField, inputClass } from "@/ui/Field";
import { Card, PageHeader } from "@/ui/layout";
import { useCategories } from "./api";
import type { ProductFilters } from "./keys";
import { ProductTable } from "./ProductTable";

function filtersFrom(params: URLSearchParams): ProductFilters {
  const sort = params.get("sort");
  return {
    q: params.get("q") ?? "",
    categoryId: params.get("category") || null,
    belowReorder: params.get("below") === "1",
    archived: params.get("archived") === "1",
    sort: sort === "name" || sort === "updated_at" ? sort : "sku",
  };
}

export default function ProductsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const [term, setTerm] = useState(filters.q);
  const q = useDebounced(term, 200);
  const { data: categories } = useCategories();
  const canWrite = useCan("catalog:write");

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  useEffect(() => {
    if (q !== (params.get("q") ?? "")) update({ q: q || null });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the typed term settles
  }, [q]);

  const actions = canWrite ? (
    <>
      <ButtonLink to="/jobs" icon={<UploadCloud className="size-4" aria-hidden />}>Import CSV</ButtonLink>
      <ButtonLink to="/products/new" variant="primary" icon={<Plus className="size-4" aria-hidden />}>Add product</ButtonLink>
    </>
  ) : null;

  return (
    <>
      <PageHeader
        title="Products"
        description={
          <>
            Search by name, SKU or barcode.<span className="hidden md:inline"> Press / to search, arrows to move, Enter to open.</span>
          </>
        }
        actions={actions}
      />
      <Card>
        <div className="grid grid-cols-2 gap-2 border-b border-line p-3 md:flex md:flex-wrap md:items-end md:gap-3">
          <label className="relative col-span-2 md:min-w-56 md:flex-1">
            <span className="sr-only">Search products</span>
            <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
            <input
              data-search
              type="search"
              value={term}
              onChange={(event) => setTerm(event.target.value)}
              placeholder="Search name, SKU or barcode"
              className={`${inputClass} h-10 pl-9 text-sm`}
            />
          </label>
          <label className="min-w-0 md:min-w-44">
            <span className="sr-only">Category</span>
            <select value={filters.categoryId ?? ""} onChange={(e) => update({ category: e.target.value || null })} className={`${inputClass} h-10 text-sm`}>
              <option value="">All categories</option>
              {(categories ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {"\u00a0\u00a0".repeat(c.depth)}
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label className="min-w-0 md:min-w-36">
            <span className="sr-only">Sort</span>
            <select value={filters.sort} onChange={(e) => update({ sort: e.target.value === "sku" ? null : e.target.value })} className={`${inputClass} h-10 text-sm`}>
              <option value="sku">Sort by SKU</option>
              <option value="name">Sort by name</option>
              <option value="updated_at">Recently changed</option>
            </select>
          </label>
          <div className="col-span-2 flex flex-wrap gap-4 py-1 md:py-2">
            <CheckboxField label="Below reorder point" checked={filters.belowReorder} onChange={(e) => update({ below: e.target.checked ? "1" : null })} />
            <CheckboxField label="Archived" checked={filters.archived} onChange={(e) => update({ archived: e.target.checked ? "1" : null })} />
          </div>
        </div>
        <ProductTable filters={filters} emptyAction={actions} />
      </Card>
    </>
  );
}
