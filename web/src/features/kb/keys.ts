import type { ArticleStatus, Visibility } from "./contract";

export interface ArticleFilters {
  q: string;
  status: ArticleStatus | null;
  visibility: Visibility | null;
  collectionId: string | null;
  tag: string | null;
}

/** Every knowledge query key comes from here (live updates and mutations use the same). */
export const kbKeys = {
  all: ["kb"] as const,
  collections: () => [...kbKeys.all, "collections"] as const,
  lists: () => [...kbKeys.all, "list"] as const,
  list: (filters: ArticleFilters) => [...kbKeys.lists(), filters] as const,
  details: () => [...kbKeys.all, "detail"] as const,
  detail: (id: string) => [...kbKeys.details(), id] as const,
  revisions: (id: string) => [...kbKeys.all, "revisions", id] as const,
  revision: (id: string, number: number) => [...kbKeys.revisions(id), number] as const,
  diff: (id: string, from: number, to: number) => [...kbKeys.all, "diff", id, from, to] as const,
  preview: (body: string) => [...kbKeys.all, "preview", body] as const,
};
