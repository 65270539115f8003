import { ChevronRight, FolderOpen, SearchX } from "lucide-react";
import { useEffect, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ApiError } from "@/api/problem";
import { Highlight } from "@/features/search";
import { cn } from "@/lib/cn";
import { formatDate } from "@/lib/format";
import { useDebounced } from "@/lib/useDebounced";
import { Button } from "@/ui/Button";
import { Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { usePublicArticles, usePublicCollections, usePublicSearch } from "./api";
import { HelpLayout, organisationName, useDocumentTitle } from "./HelpLayout";

function Missing() {
  return (
    <div className="py-16 text-center">
      <SearchX className="mx-auto size-10 text-muted" aria-hidden />
      <h1 className="mt-3 text-xl font-semibold">This help centre does not exist</h1>
      <p className="mt-1 text-muted">Check the address you followed.</p>
    </div>
  );
}

/** /help/:tenantSlug — collections, the articles, and a search box; no login. */
export default function HelpHomePage() {
  const { tenantSlug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const collection = params.get("collection");
  const [term, setTerm] = useState(q);
  const settled = useDebounced(term, 250);
  const collections = usePublicCollections(tenantSlug);
  const articles = usePublicArticles(tenantSlug, collection);
  const found = usePublicSearch(tenantSlug, q);
  useDocumentTitle(`${organisationName(tenantSlug)} help centre`);
  useEffect(() => {
    if (settled.trim() !== q) setParams(settled.trim() ? { q: settled.trim() } : {}, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the typed term settles
  }, [settled]);
  // A link that changes the address (the title, a tag) replaces what was typed.
  const [seen, setSeen] = useState(q);
  if (q !== seen) {
    setSeen(q);
    if (q !== term.trim()) setTerm(q);
  }

  if (collections.error instanceof ApiError && collections.error.status === 404) {
    return (
      <HelpLayout tenant={tenantSlug}>
        <Missing />
      </HelpLayout>
    );
  }
  const listed = (collections.data ?? []).filter((c) => c.article_count > 0);
  const chosen = listed.find((c) => c.slug === collection);
  const items = articles.data?.pages.flatMap((page) => page.items) ?? [];
  const names = new Map(listed.map((c) => [c.slug, c.name]));

  return (
    <HelpLayout tenant={tenantSlug} search={term} onSearch={setTerm}>
      {q ? (
        <section aria-labelledby="results-title">
          <h1 id="results-title" className="text-xl font-semibold">
            Results for “{q}”
          </h1>
          {found.error ? <ErrorNotice error={found.error} title="The search failed" /> : null}
          {found.data && !found.data.items.length ? <p className="mt-4 text-muted">Nothing found. Try other words, or browse the topics below.</p> : null}
          <ol className="mt-4 space-y-3">
            {(found.data?.items ?? []).map((hit) => (
              <li key={hit.id}>
                <Link to={hit.url} className="block rounded-xl border border-line bg-surface p-4 hover:border-accent">
                  <span className="font-medium text-accent-strong">{hit.title}</span>
                  <Highlight snippet={hit.snippet} className="mt-1 block text-sm text-muted" />
                </Link>
              </li>
            ))}
          </ol>
          {!found.data && !found.error ? <Skeleton className="mt-4 h-24" /> : null}
        </section>
      ) : (
        <>
          {listed.length ? (
            <section aria-labelledby="topics-title">
              <h1 id="topics-title" className="text-xl font-semibold">
                Browse by topic
              </h1>
              <ul className="mt-4 grid gap-3 sm:grid-cols-2">
                {listed.map((c) => (
                  <li key={c.id}>
                    <Link
                      to={chosen?.id === c.id ? "?" : `?collection=${encodeURIComponent(c.slug)}`}
                      aria-current={chosen?.id === c.id ? "true" : undefined}
                      className={cn("flex h-full gap-3 rounded-xl border bg-surface p-4 hover:border-accent", chosen?.id === c.id ? "border-accent ring-2 ring-accent/20" : "border-line")}
                    >
                      <FolderOpen className="mt-0.5 size-5 shrink-0 text-accent" aria-hidden />
                      <span className="min-w-0">
                        <span className="block font-medium">{c.name}</span>
                        {c.description ? <span className="mt-0.5 block text-sm text-muted">{c.description}</span> : null}
                        <span className="num mt-1 block text-xs text-muted">{c.article_count === 1 ? "1 article" : `${c.article_count} articles`}</span>
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          <section aria-labelledby="articles-title" className={listed.length ? "mt-10" : ""}>
            <h2 id="articles-title" className="text-xl font-semibold">
              {chosen ? chosen.name : "All articles"}
            </h2>
            {articles.error ? <ErrorNotice error={articles.error} title="The articles could not be loaded" /> : null}
            {articles.isPending ? <Skeleton className="mt-4 h-32" /> : null}
            {articles.data && !items.length ? <p className="mt-4 text-muted">No articles here yet.</p> : null}
            <ul className="mt-4 divide-y divide-line rounded-xl border border-line bg-surface">
              {items.map((article) => (
                <li key={article.slug}>
                  <Link to={`/help/${encodeURIComponent(tenantSlug)}/${encodeURIComponent(article.slug)}`} className="flex items-center gap-3 px-4 py-3.5 hover:bg-raised">
                    <span className="min-w-0 flex-1">
                      <span className="block font-medium">{article.title}</span>
                      {article.excerpt ? <span className="mt-0.5 line-clamp-2 block text-sm text-muted">{article.excerpt}</span> : null}
                      <span className="mt-1 block text-xs text-muted">
                        {!chosen && article.collection_slug && names.has(article.collection_slug) ? `${names.get(article.collection_slug)} · ` : ""}Updated {formatDate(article.updated_at)}
                      </span>
                    </span>
                    <ChevronRight className="size-4 shrink-0 text-muted" aria-hidden />
                  </Link>
                </li>
              ))}
            </ul>
            {articles.hasNextPage ? (
              <div className="mt-4 text-center">
                <Button onClick={() => void articles.fetchNextPage()} loading={articles.isFetchingNextPage}>
                  More articles
                </Button>
              </div>
            ) : null}
          </section>
        </>
      )}
    </HelpLayout>
  );
}
