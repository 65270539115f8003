/**
 * The Knowledge and Search API's types, from the server's OpenAPI document (generated),
 * under the names the screens use.
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

export type SearchHit = Schemas["SearchHitRead"];
export type SearchType = SearchHit["type"];
export type SearchPage = Schemas["SearchPage"];
