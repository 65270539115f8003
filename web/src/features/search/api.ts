import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { SearchPage, SearchType } from "@/features/kb";

export const ALL_TYPES: SearchType[] = ["product", "ticket", "article"];

export const searchKeys = {
  all: ["search"] as const,
  quick: (q: string) => [...searchKeys.all, "quick", q] as const,
  pages: (q: string, type: SearchType | null) => [...searchKeys.all, "pages", q, type] as const,
};

export function search(q: string, options: { types?: SearchType[]; limit?: number; cursor?: string | null; signal?: AbortSignal }): Promise<SearchPage> {
  return unwrap(
    api.GET("/api/v1/search", {
      params: { query: { q: q.slice(0, 200), types: options.types?.join(","), limit: options.limit ?? 20, cursor: options.cursor ?? undefined } },
      signal: options.signal,
    }),
  );
}

/** The palette's results as you type. A newer term leaves the older query without an
 * observer, and TanStack Query aborts its request (the signal is passed to fetch). */
export function useQuickSearch(term: string) {
  const q = term.trim();
  return useQuery({
    queryKey: searchKeys.quick(q),
    queryFn: ({ signal }) => search(q, { limit: 20, signal }),
    enabled: q.length >= 2,
    staleTime: 15_000,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function useSearchPages(q: string, type: SearchType | null) {
  return useInfiniteQuery({
    queryKey: searchKeys.pages(q, type),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) => search(q, { types: type ? [type] : undefined, limit: 20, cursor: pageParam, signal }),
    getNextPageParam: (last) => last.next_cursor,
    enabled: q.trim().length > 0,
    placeholderData: keepPreviousData,
  });
}
