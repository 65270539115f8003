import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { call } from "@/features/kb";
import type { PublicArticle, PublicArticleSummary, PublicCollection, SearchHit } from "@/features/kb";

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The help centre's calls: no token is sent, whoever is signed in on this browser. */
const anonymous = { anonymous: true } as const;

export const helpKeys = {
  all: (tenant: string) => ["help", tenant] as const,
  collections: (tenant: string) => [...helpKeys.all(tenant), "collections"] as const,
  articles: (tenant: string, collection: string | null) => [...helpKeys.all(tenant), "articles", collection] as const,
  article: (tenant: string, slug: string) => [...helpKeys.all(tenant), "article", slug] as const,
  search: (tenant: string, q: string) => [...helpKeys.all(tenant), "search", q] as const,
};

const base = (tenant: string) => `/public/${encodeURIComponent(tenant)}`;

export function usePublicCollections(tenant: string) {
  return useQuery({
    queryKey: helpKeys.collections(tenant),
    queryFn: ({ signal }) => call<Page<PublicCollection>>("GET", `${base(tenant)}/collections`, { ...anonymous, signal }),
    select: (page) => page.items,
    retry: false,
  });
}

export function usePublicArticles(tenant: string, collection: string | null) {
  return useInfiniteQuery({
    queryKey: helpKeys.articles(tenant, collection),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      call<Page<PublicArticleSummary>>("GET", `${base(tenant)}/articles`, { ...anonymous, query: { collection, cursor: pageParam, limit: 30 }, signal }),
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function usePublicArticle(tenant: string, slug: string) {
  return useQuery({
    queryKey: helpKeys.article(tenant, slug),
    queryFn: ({ signal }) => call<PublicArticle>("GET", `${base(tenant)}/articles/${encodeURIComponent(slug)}`, { ...anonymous, signal }),
    retry: false,
  });
}

export function usePublicSearch(tenant: string, q: string) {
  return useQuery({
    queryKey: helpKeys.search(tenant, q.trim()),
    queryFn: ({ signal }) => call<Page<SearchHit>>("GET", `${base(tenant)}/search`, { ...anonymous, query: { q: q.trim(), limit: 20 }, signal }),
    enabled: q.trim().length > 0,
    placeholderData: keepPreviousData,
    retry: false,
  });
}
