"""The events the knowledge base publishes (through the outbox, in the changing
transaction); the realtime module carries them on the ``knowledge:updates`` channel.
Payloads say which article changed and how it stands, never its text: every member with
knowledge:read hears every article event, drafts included, while only writers may read a
draft — so no title, slug (made from the title) or body; a client refetches the article
with its own permissions (a reader gets 404 for a draft)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class ArticleEvents:
    CREATED = "knowledge.article.created"
    UPDATED = "knowledge.article.updated"
    PUBLISHED = "knowledge.article.published"
    ARCHIVED = "knowledge.article.archived"
    DELETED = "knowledge.article.deleted"


class CollectionEvents:
    CREATED = "knowledge.collection.created"
    UPDATED = "knowledge.collection.updated"
    DELETED = "knowledge.collection.deleted"


class ArticleChanged(BaseModel):
    id: uuid.UUID
    status: str
    visibility: str
    revision: int


class CollectionChanged(BaseModel):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
