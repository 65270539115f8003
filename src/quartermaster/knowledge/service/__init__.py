"""Knowledge base use cases: collections, articles and their revisions, the public help
pages, suggestions. Services flush, never commit; every save of an article writes its
revision, its search document and its event in the request's transaction."""

from quartermaster.knowledge.service.articles import (
    create_article,
    delete_article,
    get_article,
    get_article_by_slug,
    list_articles,
    preview,
    update_article,
)
from quartermaster.knowledge.service.collections import (
    create_collection,
    delete_collection,
    get_collection,
    list_collections,
    update_collection,
)
from quartermaster.knowledge.service.common import article_read, slugify
from quartermaster.knowledge.service.help_pages import (
    public_article,
    public_articles,
    public_collections,
    public_search,
    suggest,
)
from quartermaster.knowledge.service.revisions import (
    diff,
    get_revision,
    line_diff,
    list_revisions,
    restore_revision,
)

__all__ = [
    "article_read",
    "create_article",
    "create_collection",
    "delete_article",
    "delete_collection",
    "diff",
    "get_article",
    "get_article_by_slug",
    "get_collection",
    "get_revision",
    "line_diff",
    "list_articles",
    "list_collections",
    "list_revisions",
    "preview",
    "public_article",
    "public_articles",
    "public_collections",
    "public_search",
    "restore_revision",
    "slugify",
    "suggest",
    "update_article",
    "update_collection",
]
