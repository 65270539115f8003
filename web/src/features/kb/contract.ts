/**
 * The Knowledge and Search API's shapes, from the contract (KB-API.md), until the server's
 * OpenAPI document carries them; then these become aliases of the generated types.
 */
export type ArticleStatus = "draft" | "published" | "archived";
export type Visibility = "internal" | "public";
export type SearchType = "product" | "ticket" | "article";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Collection {
  id: string;
  parent_id: string | null;
  name: string;
  slug: string;
  description: string | null;
  position: number;
  article_count: number;
  created_at: string;
  updated_at: string;
}

export interface CollectionWrite {
  name: string;
  parent_id?: string | null;
  description?: string | null;
  position?: number;
}

export interface ArticleSummary {
  id: string;
  slug: string;
  title: string;
  status: ArticleStatus;
  visibility: Visibility;
  tags: string[];
  collection_id: string | null;
  author_id: string | null;
  author_name: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

export interface Article extends ArticleSummary {
  body: string;
  body_html: string;
}

export interface ArticleCreate {
  title: string;
  body: string;
  collection_id?: string | null;
  tags?: string[];
  visibility?: Visibility;
  slug?: string;
  note?: string | null;
}

export interface ArticleUpdate {
  title?: string;
  body?: string;
  tags?: string[];
  collection_id?: string | null;
  visibility?: Visibility;
  slug?: string;
  status?: ArticleStatus;
  note?: string | null;
}

export type ChangedPart = "title" | "body" | "tags" | "collection" | "visibility" | "status" | "slug";

export interface RevisionSummary {
  number: number;
  title: string;
  status: ArticleStatus;
  visibility: Visibility;
  author_id: string | null;
  author_name: string | null;
  created_at: string;
  note: string | null;
  changed: ChangedPart[];
  restored_from: number | null;
}

export interface Revision extends RevisionSummary {
  body: string;
  body_html: string;
  tags: string[];
  collection_id: string | null;
}

export interface DiffLine {
  op: "equal" | "insert" | "delete";
  old_number: number | null;
  new_number: number | null;
  text: string;
}

export interface ArticleDiff {
  from: number;
  to: number;
  title_changed: boolean;
  lines: DiffLine[];
}

export interface SearchHit {
  type: SearchType;
  id: string;
  title: string;
  /** HTML-escaped text in which matches are wrapped in <mark>…</mark> (nothing else). */
  snippet: string;
  score: number;
  url: string;
}

export interface SearchPage extends Page<SearchHit> {
  facets: Partial<Record<SearchType, number>>;
}

export interface PublicCollection {
  id: string;
  parent_id: string | null;
  name: string;
  slug: string;
  description: string | null;
  article_count: number;
}

export interface PublicArticleSummary {
  slug: string;
  title: string;
  excerpt: string;
  collection_slug: string | null;
  updated_at: string;
}

export interface PublicArticle {
  slug: string;
  title: string;
  body_html: string;
  collection_slug: string | null;
  updated_at: string;
  tags: string[];
}
