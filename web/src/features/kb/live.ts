import type { QueryClient } from "@tanstack/react-query";
import { invalidateSoon } from "@/lib/invalidateSoon";
import type { Article } from "./contract";
import { kbKeys } from "./keys";

/** What knowledge.article.* carry: never a title or slug (readers hear drafts' events
 * too; they refetch with their own permissions). */
export interface ArticleChanged {
  id: string;
  status: string;
  visibility: string;
  revision: number;
}

/** knowledge.article.created | updated | published | archived: lists refetch once per
 * burst; an open article refetches only when the event is newer than what is on screen. */
export function articleChanged(client: QueryClient, event: ArticleChanged): void {
  invalidateSoon(client, kbKeys.lists(), 300);
  const cached = client.getQueryData<Article>(kbKeys.detail(event.id));
  if (cached && cached.revision < event.revision) {
    void client.invalidateQueries({ queryKey: kbKeys.detail(event.id) });
    void client.invalidateQueries({ queryKey: kbKeys.revisions(event.id), exact: true });
  }
  invalidateSoon(client, kbKeys.collections(), 300);
}

/** knowledge.article.deleted */
export function articleDeleted(client: QueryClient, id: string): void {
  client.removeQueries({ queryKey: kbKeys.detail(id) });
  invalidateSoon(client, kbKeys.lists(), 300);
  invalidateSoon(client, kbKeys.collections(), 300);
}

/** knowledge.collection.created | updated | deleted */
export function collectionChanged(client: QueryClient): void {
  invalidateSoon(client, kbKeys.collections(), 200);
}

export function resyncKnowledge(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: kbKeys.all });
}
