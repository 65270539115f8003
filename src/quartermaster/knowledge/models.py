"""Knowledge base tables: collections (a tree), articles and their revisions. Every one is
tenant-owned (forced RLS, migration 0014) and refers to its neighbours with composite
``(tenant_id, …)`` foreign keys, so a row can only ever point into its own tenant. Authors
are identity's users: their id is held here, with the name they had when they saved."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin, TimestampMixin

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")
# The words of an article, title first: for ?q= and the suggestions when the search
# module is not there (the search module keeps its own index).
SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')"
)


def _tenant_fk() -> Any:
    return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _fk(columns: list[str], table: str, name: str, ondelete: str | None = None) -> Any:
    return ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{table}.tenant_id", f"{table}.id"],
        name=name,
        ondelete=ondelete,
    )


class KbCollection(IdMixin, TimestampMixin, Base):
    """A folder of articles; collections nest (``parent_id``) and are ordered by
    ``position`` then name among siblings."""

    __tablename__ = "kb_collections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "slug"),
        _fk(
            ["parent_id"], "kb_collections", "fk_kb_collections_tenant_id_parent_id_kb_collections"
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_kb_collections_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    parent_id: Mapped[uuid.UUID | None]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, server_default=text("''"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class KbArticle(IdMixin, TimestampMixin, Base):
    """An article as it is now; ``revision`` is the number of its latest revision (its
    ETag). ``body_html`` is the sanitised rendering, made once per save."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "slug"),
        _fk(
            ["collection_id"],
            "kb_collections",
            "fk_kb_articles_tenant_id_collection_id_kb_collections",
        ),
        CheckConstraint(_known("status", STATUSES), name="status_known"),
        CheckConstraint(_known("visibility", VISIBILITIES), name="visibility_known"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_kb_articles_tenant_id_updated_at_id", "tenant_id", "updated_at", "id"),
        Index("ix_kb_articles_tenant_id_collection_id", "tenant_id", "collection_id"),
        Index("ix_kb_articles_tags", "tags", postgresql_using="gin"),
        Index("ix_kb_articles_search_vector", "search_vector", postgresql_using="gin"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    collection_id: Mapped[uuid.UUID | None]
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, server_default=text("''"))
    status: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    author_id: Mapped[uuid.UUID | None]
    author_name: Mapped[str | None] = mapped_column(String(200))
    revision: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None]
    search_vector: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), deferred=True
    )


class KbRevision(IdMixin, Base):
    """One save of an article: the whole article as it was saved, who saved it, why
    (``note``), which fields changed, and the revision it restored when it is a restore."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "article_id", "number"),
        _fk(
            ["article_id"],
            "kb_articles",
            "fk_kb_article_revisions_tenant_id_article_id_kb_articles",
            ondelete="CASCADE",
        ),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant_fk()
    article_id: Mapped[uuid.UUID]
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    # No foreign key: a revision keeps the collection it was saved in after that goes.
    collection_id: Mapped[uuid.UUID | None]
    author_id: Mapped[uuid.UUID | None]
    author_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    changed: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    restored_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
