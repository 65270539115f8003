"""Search tables (migration 0015). Rows are written only by ``repository`` in plain SQL;
these mappings keep the tables in the metadata (autogenerate, the tenancy test).

Why postings: ``tsvector @@ tsquery`` is not leakproof, so under forced row-level
security PostgreSQL uses no index for it. Text equality and ranges are leakproof, so the
candidates of a search come from ``search_postings`` by its primary key, and only those
rows of ``search_documents`` are checked with ``@@`` and ranked."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base

LANGUAGES = ("english", "german", "french", "spanish", "simple")
DEFAULT_LANGUAGE = "english"


class SearchSettings(Base):
    """A tenant's search settings: the text-search language (stemming, stop words)."""

    __tablename__ = "search_settings"
    __table_args__ = (
        CheckConstraint(
            "language IN (" + ", ".join(f"'{name}'" for name in LANGUAGES) + ")",
            name="language_known",
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(Text, server_default=DEFAULT_LANGUAGE)
    updated_at: Mapped[datetime]


class SearchDocumentRow(Base):
    """One searchable document of one module (type + doc_id), as its module handed it in.
    Every column but ``body`` is STORAGE MAIN (migration 0017): what each candidate is
    checked and ranked with stays in the row; a long body is the one moved to TOAST."""

    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "type", "doc_id"),
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint("type ~ '^[a-z_]{1,32}$'", name="type_shape"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(Text)
    doc_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(Text)
    identifiers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # identifiers folded for exact matching: lower case, no accents, letters and digits only
    keys: Mapped[list[str]] = mapped_column(ARRAY(Text))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    permission: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(Text)
    tsv: Mapped[str] = mapped_column(TSVECTOR)
    updated_at: Mapped[datetime | None]
    indexed_at: Mapped[datetime]


class SearchPosting(Base):
    """A term of a document for one reader scope (its permission, or "public"), with the
    best weight it has there: 0 an exact identifier key ('#' + key), 1 title, 2
    identifiers, 3 body. Ordered by weight within a term, so the best come first."""

    __tablename__ = "search_postings"

    # no foreign key on derived rows (see the migration): its per-row check is costly
    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    scope: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    w: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    doc: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class SearchWord(Base):
    """A lexeme of the tenant's documents (prefix completions, typo candidates); never
    removed, as a stale word only costs a candidate that matches nothing."""

    __tablename__ = "search_words"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)


class SearchWordVariant(Base):
    """A word with one character deleted (and the word itself), so a typo within about
    one edit finds the word by equality: ``widgit`` and ``widget`` share ``widgt``."""

    __tablename__ = "search_word_variants"

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    variant: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
    word: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
