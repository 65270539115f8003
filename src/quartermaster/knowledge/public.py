"""The knowledge base's surface for other modules and the application layer (the demo)."""

from __future__ import annotations

from quartermaster.knowledge.events import ArticleChanged, ArticleEvents, CollectionEvents
from quartermaster.knowledge.indexing import defer_indexing, flush_indexing, searchable_articles
from quartermaster.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleStatus,
    ArticleUpdate,
    CollectionCreate,
    CollectionRead,
    Visibility,
)
from quartermaster.knowledge.service import (
    create_article,
    create_collection,
    update_article,
)

__all__ = [
    "ArticleChanged",
    "ArticleCreate",
    "ArticleEvents",
    "ArticleRead",
    "ArticleStatus",
    "ArticleUpdate",
    "CollectionCreate",
    "CollectionEvents",
    "CollectionRead",
    "Visibility",
    "create_article",
    "create_collection",
    "defer_indexing",
    "flush_indexing",
    "searchable_articles",
    "update_article",
]
