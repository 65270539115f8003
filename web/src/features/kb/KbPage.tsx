import { Plus, Search, X } from "lucide-react";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { useCan } from "@/auth/context";
import { useDebounced } from "@/lib/useDebounced";
import { ButtonLink } from "@/ui/Button";
import { inputClass } from "@/ui/Field";
import { Card, PageHeader } from "@/ui/layout";
import { useCollections } from "./api";
import { ArticleList } from "./ArticleList";
import { CollectionSidebar } from "./CollectionSidebar";
import type { ArticleStatus, Visibility } from "./contract";
import type { ArticleFilters } from "./keys";
import { flattenTree } from "./tree";

const STATUSES: ArticleStatus[] = ["draft", "published", "archived"];
const VISIBILITIES: Visibility[] = ["internal", "public"];

function filtersFrom(params: URLSearchParams): ArticleFilters {
  const status = params.get("status") as ArticleStatus | null;
  const visibility = params.get("visibility") as Visibility | null;
  return {
    q: params.get("q") ?? "",
    status: status && STATUSES.includes(status) ? status : null,
    visibility: visibility && VISIBILITIES.includes(visibility) ? visibility : null,
    collectionId: params.get("collection") || null,
    tag: params.get("tag") || null,
  };
}

/** The knowledge base: collections on the side, articles filtered and searched as you type. */
export default function KbPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const [term, setTerm] = useState(filters.q);
  const q = useDebounced(term, 200);
  const { data: collections } = useCollections();
  const canWrite = useCan("knowledge:write");

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

  const write = canWrite ? (
    <ButtonLink to="/kb/new" variant="primary" icon={<Plus className="size-4" aria-hidden />}>
      New article
    </ButtonLink>
  ) : null;
  const select = `${inputClass} h-10 text-sm`;

  return (
    <>
      <PageHeader title="Knowledge" description="How-tos, policies and answers — for the team, and public ones for the help centre." actions={write} />
      <div className="grid gap-4 lg:grid-cols-[16.5rem_minmax(0,1fr)]">
        <Card className="hidden self-start p-2 lg:block">
          <CollectionSidebar collections={collections} selected={filters.collectionId} onSelect={(id) => update({ collection: id })} />
        </Card>
        <Card>
          <div className="grid grid-cols-2 gap-2 border-b border-line p-3 md:flex md:flex-wrap md:items-center">
            <label className="relative col-span-2 md:min-w-56 md:flex-1">
              <span className="sr-only">Search articles</span>
              <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
              <input data-search type="search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder="Search titles and text" className={`${inputClass} h-10 pl-9 text-sm`} />
            </label>
            <label className="col-span-2 lg:hidden">
              <span className="sr-only">Collection</span>
              <select value={filters.collectionId ?? ""} onChange={(e) => update({ collection: e.target.value || null })} className={select}>
                <option value="">All collections</option>
                {flattenTree(collections ?? []).map(({ collection, depth }) => (
                  <option key={collection.id} value={collection.id}>
                    {"\u00a0\u00a0".repeat(depth)}
                    {collection.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="min-w-0 md:w-36">
              <span className="sr-only">Status</span>
              <select value={filters.status ?? ""} onChange={(e) => update({ status: e.target.value || null })} className={select}>
                <option value="">Any status</option>
                <option value="draft">Drafts</option>
                <option value="published">Published</option>
                <option value="archived">Archived</option>
              </select>
            </label>
            <label className="min-w-0 md:w-36">
              <span className="sr-only">Visibility</span>
              <select value={filters.visibility ?? ""} onChange={(e) => update({ visibility: e.target.value || null })} className={select}>
                <option value="">Any visibility</option>
                <option value="internal">Internal only</option>
                <option value="public">Public only</option>
              </select>
            </label>
            {filters.tag ? (
              <button type="button" onClick={() => update({ tag: null })} className="col-span-2 inline-flex h-8 items-center gap-1 justify-self-start rounded-full bg-accent-soft px-3 text-sm text-accent-strong" aria-label={`Remove the tag filter ${filters.tag}`}>
                #{filters.tag}
                <X className="size-3.5" aria-hidden />
              </button>
            ) : null}
          </div>
          <ArticleList filters={filters} collections={collections} onTag={(tag) => update({ tag })} emptyAction={write} />
        </Card>
      </div>
    </>
  );
}
