import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import type {
  Article,
  ArticleCreate,
  ArticleDiff,
  ArticleSummary,
  ArticleUpdate,
  Collection,
  CollectionWrite,
  Page,
  Revision,
  RevisionSummary,
} from "./contract";
import { call } from "./http";
import { kbKeys } from "./keys";
import type { ArticleFilters } from "./keys";

export const PAGE_SIZE = 50;

export function useCollections() {
  return useQuery({
    queryKey: kbKeys.collections(),
    queryFn: ({ signal }) => call<Page<Collection>>("GET", "/collections", { query: { limit: 500 }, signal }),
    staleTime: 60_000,
    select: (page) => page.items,
  });
}

export function createCollection(body: CollectionWrite): Promise<Collection> {
  return call("POST", "/collections", { body });
}

export function updateCollection(id: string, body: Partial<CollectionWrite>): Promise<Collection> {
  return call("PATCH", `/collections/${id}`, { body });
}

export function useArticlePages(filters: ArticleFilters) {
  return useInfiniteQuery({
    queryKey: kbKeys.list(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      call<Page<ArticleSummary>>("GET", "/articles", {
        query: {
          q: filters.q.trim(),
          status: filters.status,
          visibility: filters.visibility,
          collection_id: filters.collectionId,
          tag: filters.tag,
          limit: PAGE_SIZE,
          cursor: pageParam,
        },
        signal,
      }),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
  });
}

export function fetchArticle(id: string, signal?: AbortSignal): Promise<Article> {
  return call("GET", `/articles/${id}`, { signal });
}

export function useArticle(id: string | undefined) {
  return useQuery({
    queryKey: kbKeys.detail(id ?? ""),
    queryFn: ({ signal }) => fetchArticle(id as string, signal),
    enabled: !!id,
  });
}

export function createArticle(body: ArticleCreate): Promise<Article> {
  return call("POST", "/articles", { body });
}

/** The revision this change is based on: a 412 says someone saved another one meanwhile. */
function ifMatch(article: Pick<Article, "revision">): Record<string, string> {
  return { "If-Match": `"${article.revision}"` };
}

export function updateArticle(article: Pick<Article, "id" | "revision">, body: ArticleUpdate): Promise<Article> {
  return call("PATCH", `/articles/${article.id}`, { body, headers: ifMatch(article) });
}

export function restoreRevision(article: Pick<Article, "id" | "revision">, number: number): Promise<Article> {
  return call("POST", `/articles/${article.id}/revisions/${number}/restore`, { headers: ifMatch(article) });
}

/** The editor's preview: rendered and sanitised by the server exactly as a saved article. */
export function usePreview(body: string) {
  return useQuery({
    queryKey: kbKeys.preview(body),
    queryFn: ({ signal }) => call<{ body_html: string }>("POST", "/articles/preview", { body: { body }, signal }),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
  });
}

export function useRevisions(id: string) {
  return useQuery({
    queryKey: kbKeys.revisions(id),
    queryFn: ({ signal }) => call<Page<RevisionSummary>>("GET", `/articles/${id}/revisions`, { query: { limit: 200 }, signal }),
    select: (page) => page.items,
  });
}

export function useRevision(id: string, number: number | null) {
  return useQuery({
    queryKey: kbKeys.revision(id, number ?? 0),
    queryFn: ({ signal }) => call<Revision>("GET", `/articles/${id}/revisions/${number}`, { signal }),
    enabled: number !== null,
    staleTime: Infinity,
  });
}

export function useDiff(id: string, from: number | null, to: number | null) {
  return useQuery({
    queryKey: kbKeys.diff(id, from ?? 0, to ?? 0),
    queryFn: ({ signal }) => call<ArticleDiff>("GET", `/articles/${id}/diff`, { query: { from, to }, signal }),
    enabled: from !== null && to !== null && from !== to,
    // Revisions never change: a diff between two of them is forever.
    staleTime: Infinity,
  });
}
