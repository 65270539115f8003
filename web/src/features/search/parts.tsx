import { BookOpen, LifeBuoy, Package } from "lucide-react";
import type { ReactNode } from "react";
import type { SearchHit, SearchType } from "@/features/kb";

export const TYPE_LABEL: Record<SearchType, string> = { product: "Products", ticket: "Tickets", article: "Articles" };

export const TYPE_ICON: Record<SearchType, ReactNode> = {
  product: <Package className="size-5" aria-hidden />,
  ticket: <LifeBuoy className="size-5" aria-hidden />,
  article: <BookOpen className="size-5" aria-hidden />,
};

/** Hits in their ranked order, gathered per type (types in the order of their best hit). */
export function groupHits(hits: SearchHit[]): [SearchType, SearchHit[]][] {
  const groups = new Map<SearchType, SearchHit[]>();
  for (const hit of hits) groups.set(hit.type, [...(groups.get(hit.type) ?? []), hit]);
  return [...groups.entries()];
}
