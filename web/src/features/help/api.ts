import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import createClient from "openapi-fetch";
import { unwrap } from "@/api/client";
import type { paths } from "@/api/schema";

/** The help centre's client sends no token, whoever is signed in on this browser. */
const anonymous = createClient<paths>({ baseUrl: "", fetch: (request: Request) => globalThis.fetch(request) });

export const helpKeys = {
  all: (tenant: string) => ["help", tenant] as const,
  collections: (tenant: string) => [...helpKeys.all(tenant), "collections"] as const,
  articles: (tenant: string, collection: string | null) => [...helpKeys.all(tenant), "articles", collection] as const,
  article: (tenant: string, slug: string) => [...helpKeys.all(tenant), "article", slug] as const,
  search: (tenant: string, q: string) => [...helpKeys.all(tenant), "search", q] as const,
};

export function usePublicCollections(tenant: string) {
  return useQuery({
    queryKey: helpKeys.collections(tenant),
    queryFn: ({ signal }) => unwrap(anonymous.GET("/api/v1/public/{tenant_slug}/collections", { params: { path: { tenant_slug: tenant } }, signal })),
    select: (page) => page.items,
    retry: false,
  });
}

export function usePublicArticles(tenant: string, collection: string | null) {
  return useInfiniteQuery({
    queryKey: helpKeys.articles(tenant, collection),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        anonymous.GET("/api/v1/public/{tenant_slug}/articles", {
          params: { path: { tenant_slug: tenant }, query: { collection: collection ?? undefined, cursor: pageParam ?? undefined, limit: 30 } },
          signal,
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function usePublicArticle(tenant: string, slug: string) {
  return useQuery({
    queryKey: helpKeys.article(tenant, slug),
    queryFn: ({ signal }) => unwrap(anonymous.GET("/api/v1/public/{tenant_slug}/articles/{slug}", { params: { path: { tenant_slug: tenant, slug } }, signal })),
    retry: false,
  });
}

export function usePublicSearch(tenant: string, q: string) {
  const term = q.trim().slice(0, 200);
  return useQuery({
    queryKey: helpKeys.search(tenant, term),
    queryFn: ({ signal }) => unwrap(anonymous.GET("/api/v1/public/{tenant_slug}/search", { params: { path: { tenant_slug: tenant }, query: { q: term, limit: 20 } }, signal })),
    enabled: term.length > 0,
    placeholderData: keepPreviousData,
    retry: false,
  });
}
