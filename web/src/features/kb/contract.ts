/**
 * The Knowledge API's types, from the server's OpenAPI document (generated), under the
 * names the screens use. Only the global search's shapes are still written by hand from the
 * contract (KB-API.md) until `GET /api/v1/search` is in the OpenAPI document.
 */
import type { Schemas } from "@/api/client";

export type ArticleStatus = Schemas["ArticleStatus"];
export type Visibility = Schemas["Visibility"];
export type Collection = Schemas["CollectionRead"];
export type CollectionCreate = Schemas["CollectionCreate"];
export type CollectionUpdate = Schemas["CollectionUpdate"];
export type ArticleSummary = Schemas["ArticleSummary"];
export type Article = Schemas["ArticleRead"];
export type ArticleCreate = Schemas["ArticleCreate"];
export type ArticleUpdate = Schemas["ArticleUpdate"];
export type RevisionSummary = Schemas["RevisionSummary"];
export type Revision = Schemas["RevisionRead"];
export type DiffLine = Schemas["DiffLine"];
export type ArticleDiff = Schemas["DiffRead"];
export type PublicCollection = Schemas["PublicCollection"];
export type PublicArticleSummary = Schemas["PublicArticleSummary"];
export type PublicArticle = Schemas["PublicArticle"];
export type PublicSearchHit = Schemas["PublicSearchHit"];

export type SearchType = "product" | "ticket" | "article";

export interface SearchHit {
  type: SearchType;
  id: string;
  title: string;
  /** HTML-escaped text in which matches are wrapped in <mark>…</mark> (nothing else). */
  snippet: string;
  score: number;
  url: string;
}

export interface SearchPage {
  items: SearchHit[];
  next_cursor: string | null;
  facets: Partial<Record<SearchType, number>>;
}
