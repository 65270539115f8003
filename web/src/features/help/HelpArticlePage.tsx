import { ChevronLeft, SearchX } from "lucide-react";
import { Link, useParams } from "react-router";
import { ApiError } from "@/api/problem";
import { ServerHtml } from "@/features/kb";
import { formatDate } from "@/lib/format";
import { Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { usePublicArticle, usePublicCollections } from "./api";
import { HelpLayout, organisationName, useDocumentTitle } from "./HelpLayout";

/** /help/:tenantSlug/:slug — one published, public article. */
export default function HelpArticlePage() {
  const { tenantSlug = "", slug = "" } = useParams();
  const { data: article, error } = usePublicArticle(tenantSlug, slug);
  const { data: collections } = usePublicCollections(tenantSlug);
  useDocumentTitle(article ? `${article.title} · ${organisationName(tenantSlug)} help centre` : `${organisationName(tenantSlug)} help centre`);
  const home = `/help/${encodeURIComponent(tenantSlug)}`;
  const collection = collections?.find((c) => c.slug === article?.collection_slug);

  return (
    <HelpLayout tenant={tenantSlug}>
      <nav aria-label="Breadcrumb" className="mb-4 text-sm">
        <Link to={collection ? `${home}?collection=${encodeURIComponent(collection.slug)}` : home} className="inline-flex items-center gap-1 text-accent-strong hover:underline">
          <ChevronLeft className="size-4" aria-hidden />
          {collection ? collection.name : "All articles"}
        </Link>
      </nav>
      {error instanceof ApiError && error.status === 404 ? (
        <div className="py-12 text-center">
          <SearchX className="mx-auto size-10 text-muted" aria-hidden />
          <h1 className="mt-3 text-xl font-semibold">This article is not here</h1>
          <p className="mt-1 text-muted">It may have moved or been taken down. Try the search above.</p>
        </div>
      ) : error ? (
        <ErrorNotice error={error} title="This article could not be loaded" />
      ) : !article ? (
        <div className="space-y-3" aria-busy="true" aria-label="Loading">
          <Skeleton className="h-9 w-2/3" />
          <Skeleton className="h-64" />
        </div>
      ) : (
        <article>
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">{article.title}</h1>
          <p className="mt-2 text-sm text-muted">Updated {formatDate(article.updated_at)}</p>
          <ServerHtml html={article.body_html} className="mt-6 text-[1.0625rem]" />
          {article.tags.length ? (
            <p className="mt-8 flex flex-wrap gap-2 border-t border-line pt-4">
              {article.tags.map((tag) => (
                <Link key={tag} to={`${home}?q=${encodeURIComponent(tag)}`} className="rounded-full bg-raised px-3 py-1 text-sm text-muted hover:text-ink">
                  {tag}
                </Link>
              ))}
            </p>
          ) : null}
        </article>
      )}
    </HelpLayout>
  );
}
