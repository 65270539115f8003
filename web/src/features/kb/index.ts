export type { ArticleDiff, DiffLine, PublicArticle, PublicArticleSummary, PublicCollection, SearchHit, SearchPage, SearchType } from "./contract";
export { kbKeys } from "./keys";
export { articleChanged, articleDeleted, collectionChanged, resyncKnowledge } from "./live";
export type { ArticleChanged } from "./live";
export { ServerHtml } from "./parts";
