import { Search } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { SearchType } from "@/features/kb";
import { cn } from "@/lib/cn";
import { useDebounced } from "@/lib/useDebounced";
import { Button } from "@/ui/Button";
import { inputClass } from "@/ui/Field";
import { Card, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { ALL_TYPES, useSearchPages } from "./api";
import { Highlight, snippetIsTitle } from "./Highlight";
import { TYPE_ICON, TYPE_LABEL } from "./parts";

/** /search?q=…&type=…: every hit the user may see, ranked, with a count per type. */
export default function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const wanted = params.get("type") as SearchType | null;
  const type = wanted && ALL_TYPES.includes(wanted) ? wanted : null;
  const [term, setTerm] = useState(q);
  const settled = useDebounced(term, 250);
  const { data, error, isPending, isFetching, hasNextPage, fetchNextPage, isFetchingNextPage } = useSearchPages(q, type);
  // The counts of every type, whichever type is picked.
  const all = useSearchPages(q, null);
  const facets = all.data?.pages[0]?.facets ?? {};
  const hits = data?.pages.flatMap((page) => page.items) ?? [];
  const total = ALL_TYPES.reduce((sum, t) => sum + (facets[t] ?? 0), 0);

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  useEffect(() => {
    if (settled.trim() !== q) update({ q: settled.trim() || null });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the typed term settles
  }, [settled]);

  const facet = (value: SearchType | null, label: string, count: number | undefined) => (
    <button
      key={label}
      type="button"
      aria-pressed={type === value}
      onClick={() => update({ type: value })}
      className={cn("inline-flex h-9 items-center gap-2 rounded-full border px-3 text-sm", type === value ? "border-accent bg-accent-soft font-medium text-accent-strong" : "border-line text-muted hover:bg-raised hover:text-ink")}
    >
      {label}
      {count !== undefined ? <span className="num text-xs">{count}</span> : null}
    </button>
  );

  return (
    <>
      <PageHeader title="Search" description="Products, tickets and articles you may see. Quotes for a phrase, -word to leave one out." />
      <Card>
        <div className="space-y-3 border-b border-line p-3">
          <label className="relative block">
            <span className="sr-only">Search everything</span>
            <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
            <input data-search type="search" autoFocus value={term} onChange={(e) => setTerm(e.target.value)} placeholder="A SKU, a ticket number, words from an article…" className={`${inputClass} h-10 pl-9 text-sm`} />
          </label>
          {q ? (
            <div className="flex flex-wrap gap-2" role="group" aria-label="Types">
              {facet(null, "All", all.data ? total : undefined)}
              {ALL_TYPES.filter((t) => (facets[t] ?? 0) > 0 || type === t).map((t) => facet(t, TYPE_LABEL[t], facets[t]))}
            </div>
          ) : null}
        </div>
        {!q ? (
          <EmptyState icon={<Search aria-hidden />} title="Search everything">Type above, or press Ctrl K anywhere.</EmptyState>
        ) : error ? (
          <div className="p-4"><ErrorNotice error={error} title="The search failed" /></div>
        ) : isPending ? (
          <div className="space-y-3 p-4" aria-busy="true" aria-label="Searching">
            <Skeleton className="h-12" />
            <Skeleton className="h-12" />
          </div>
        ) : !hits.length ? (
          <EmptyState icon={<Search aria-hidden />} title={`Nothing found for “${q}”`}>Try fewer words, another spelling, or all types.</EmptyState>
        ) : (
          <ol aria-label="Results" className={cn("divide-y divide-line", isFetching && !isFetchingNextPage && "opacity-70")}>
            {hits.map((hit) => (
              <li key={`${hit.type}:${hit.id}`}>
                <Link to={hit.url} className="flex gap-3 px-4 py-3 hover:bg-raised">
                  <span className="mt-0.5 text-muted">{TYPE_ICON[hit.type]}</span>
                  <span className="min-w-0 flex-1">
                    <span className="flex items-baseline gap-2">
                      <span className="truncate font-medium">{snippetIsTitle(hit.snippet, hit.title) ? <Highlight snippet={hit.snippet} /> : hit.title}</span>
                      <span className="shrink-0 text-xs text-muted">{TYPE_LABEL[hit.type].slice(0, -1)}</span>
                    </span>
                    {snippetIsTitle(hit.snippet, hit.title) ? null : <Highlight snippet={hit.snippet} className="mt-0.5 line-clamp-2 block text-sm text-muted" />}
                  </span>
                </Link>
              </li>
            ))}
          </ol>
        )}
        {hasNextPage ? (
          <div className="border-t border-line p-3 text-center">
            <Button onClick={() => void fetchNextPage()} loading={isFetchingNextPage}>
              Load more
            </Button>
          </div>
        ) : null}
      </Card>
    </>
  );
}
