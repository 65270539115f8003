import { useQuery } from "@tanstack/react-query";
import { authFetch } from "@/auth/session";
import { ticketKeys } from "./keys";

/**
 * A knowledge article suggested for what the agent is typing: `GET /api/v1/articles/suggest`
 * of the knowledge module (docs: the KB contract). That module may not be installed, so the
 * route is not in this build's generated client: its answer is read here, and a 404 (or a
 * role without knowledge:read) means "no suggestions panel", never an error.
 */
export interface SuggestedArticle {
  id: string;
  slug: string;
  title: string;
  snippet: string;
  score: number;
  url: string;
}

// Once the route answered "not here", typing asks no more (this tab, this session).
let missing = false;

export async function fetchSuggestions(text: string, signal?: AbortSignal): Promise<SuggestedArticle[] | null> {
  if (missing) return null;
  const query = new URLSearchParams({ text, limit: "5" });
  const response = await authFetch(new Request(`/api/v1/articles/suggest?${query}`, { signal }));
  if (response.status === 404 || response.status === 403 || response.status === 405) {
    missing = true;
    return null;
  }
  if (!response.ok) return [];
  const body = (await response.json()) as { items?: SuggestedArticle[] };
  return body.items ?? [];
}

/** Null: the knowledge base is not there (hide the panel); an array: the suggestions. */
export function useArticleSuggestions(text: string) {
  const wanted = text.trim().slice(0, 500);
  return useQuery({
    queryKey: ticketKeys.suggest(wanted.toLowerCase()),
    enabled: wanted.length >= 4,
    staleTime: 60_000,
    retry: false,
    queryFn: ({ signal }) => fetchSuggestions(wanted, signal),
  });
}
