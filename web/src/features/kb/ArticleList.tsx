import { BookOpen } from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Button } from "@/ui/Button";
import { EmptyState, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useArticlePages } from "./api";
import type { Collection } from "./contract";
import type { ArticleFilters } from "./keys";
import { StatusBadge, VisibilityBadge } from "./parts";

interface Props {
  filters: ArticleFilters;
  collections: Collection[] | undefined;
  onTag: (tag: string) => void;
  emptyAction: ReactNode;
}

export function ArticleList({ filters, collections, onTag, emptyAction }: Props) {
  const { data, error, isPending, isFetchingNextPage, hasNextPage, fetchNextPage } = useArticlePages(filters);
  const names = new Map((collections ?? []).map((c) => [c.id, c.name]));
  const items = data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = !!(filters.q || filters.status || filters.visibility || filters.collectionId || filters.tag);

  if (error) return <div className="p-4"><ErrorNotice error={error} title="The articles could not be loaded" /></div>;
  if (isPending) {
    return (
      <div className="space-y-3 p-4" aria-busy="true" aria-label="Loading articles">
        <Skeleton className="h-12" />
        <Skeleton className="h-12" />
        <Skeleton className="h-12" />
      </div>
    );
  }
  if (!items.length) {
    return (
      <EmptyState icon={<BookOpen aria-hidden />} title={filtered ? "No article matches" : "No articles yet"} action={filtered ? null : emptyAction}>
        {filtered ? "Try other words or clear a filter." : "Write the first how-to, policy or answer your team keeps giving."}
      </EmptyState>
    );
  }
  return (
    <>
      <ul aria-label="Articles" className="divide-y divide-line">
        {items.map((article) => (
          <li key={article.id} className="flex flex-col gap-1.5 px-4 py-3 sm:flex-row sm:items-start sm:gap-4">
            <div className="min-w-0 flex-1">
              <Link to={`/kb/${article.id}`} className="font-medium text-ink hover:text-accent-strong hover:underline">
                {article.title}
              </Link>
              <p className="mt-0.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-muted">
                {article.collection_id ? <span>{names.get(article.collection_id) ?? "—"}</span> : <span>No collection</span>}
                <span aria-hidden>·</span>
                <span title={formatDateTime(article.updated_at)}>
                  Updated {formatRelative(article.updated_at)}
                  {article.author_name ? ` by ${article.author_name}` : ""}
                </span>
                {article.tags.map((tag) => (
                  <button key={tag} type="button" onClick={() => onTag(tag)} className="rounded bg-raised px-1.5 py-0.5 font-mono text-[11px] text-muted hover:text-ink" aria-label={`Filter by tag ${tag}`}>
                    #{tag}
                  </button>
                ))}
              </p>
            </div>
            <div className="flex shrink-0 items-center gap-1.5">
              <StatusBadge status={article.status} />
              <VisibilityBadge visibility={article.visibility} />
            </div>
          </li>
        ))}
      </ul>
      {hasNextPage ? (
        <div className="border-t border-line p-3 text-center">
          <Button onClick={() => void fetchNextPage()} loading={isFetchingNextPage}>
            Load more
          </Button>
        </div>
      ) : null}
    </>
  );
}
