import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Article, ArticleCreate, ArticleUpdate, Collection, CollectionCreate, CollectionUpdate } from "./contract";
import { kbKeys } from "./keys";
import type { ArticleFilters } from "./keys";

export const PAGE_SIZE = 50;

export function useCollections() {
  return useQuery({
    queryKey: kbKeys.collections(),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/collections", { params: { query: { limit: 500 } }, signal })),
    staleTime: 60_000,
    select: (page) => page.items,
  });
}

export function createCollection(body: CollectionCreate): Promise<Collection> {
  return unwrap(api.POST("/api/v1/collections", { body }));
}

export function updateCollection(id: string, body: CollectionUpdate): Promise<Collection> {
  return unwrap(api.PATCH("/api/v1/collections/{collection_id}", { params: { path: { collection_id: id } }, body }));
}

export function useArticlePages(filters: ArticleFilters) {
  return useInfiniteQuery({
    queryKey: kbKeys.list(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/v1/articles", {
          params: {
            query: {
              q: filters.q.trim() || undefined,
              status: filters.status ? [filters.status] : undefined,
              visibility: filters.visibility ?? undefined,
              collection_id: filters.collectionId ?? undefined,
              tag: filters.tag ?? undefined,
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

export function useArticle(id: string | undefined) {
  return useQuery({
    queryKey: kbKeys.detail(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/articles/{article_id}", { params: { path: { article_id: id as string } }, signal })),
    enabled: !!id,
  });
}

export function createArticle(body: ArticleCreate): Promise<Article> {
  return unwrap(api.POST("/api/v1/articles", { body }));
}

/** The revision this change is based on: a 412 says someone saved another one meanwhile. */
function ifMatch(article: Pick<Article, "revision">) {
  return { "If-Match": `"${article.revision}"` };
}

export function updateArticle(article: Pick<Article, "id" | "revision">, body: ArticleUpdate): Promise<Article> {
  return unwrap(api.PATCH("/api/v1/articles/{article_id}", { params: { path: { article_id: article.id }, header: ifMatch(article) }, body }));
}

/** Deletes the article and its revisions; a 412 says someone saved another revision first. */
export async function deleteArticle(article: Pick<Article, "id" | "revision">): Promise<void> {
  await unwrap(api.DELETE("/api/v1/articles/{article_id}", { params: { path: { article_id: article.id }, header: ifMatch(article) } }));
}

export function restoreRevision(article: Pick<Article, "id" | "revision">, number: number): Promise<Article> {
  return unwrap(
    api.POST("/api/v1/articles/{article_id}/revisions/{number}/restore", { params: { path: { article_id: article.id, number }, header: ifMatch(article) } }),
  );
}

/** The editor's preview: rendered and sanitised by the server exactly as a saved article. */
export function usePreview(body: string) {
  return useQuery({
    queryKey: kbKeys.preview(body),
    queryFn: ({ signal }) => unwrap(api.POST("/api/v1/articles/preview", { body: { body }, signal })),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    gcTime: 60_000,
  });
}

export function useRevisions(id: string) {
  return useQuery({
    queryKey: kbKeys.revisions(id),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/articles/{article_id}/revisions", { params: { path: { article_id: id }, query: { limit: 200 } }, signal })),
    select: (page) => page.items,
  });
}

export function useDiff(id: string, from: number | null, to: number | null) {
  return useQuery({
    queryKey: kbKeys.diff(id, from ?? 0, to ?? 0),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/articles/{article_id}/diff", { params: { path: { article_id: id }, query: { from: from as number, to: to as number } }, signal })),
    enabled: from !== null && to !== null && from !== to,
    // Revisions never change: a diff between two of them is forever.
    staleTime: Infinity,
  });
}
