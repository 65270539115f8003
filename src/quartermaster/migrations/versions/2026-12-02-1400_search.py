"""Search: one index over every module's documents (products, tickets, articles).

``search_documents`` holds each document once (weighted ``tsvector``: title A, identifiers
B, body C, built with the tenant's ``qm_<language>`` text-search configuration, which
folds accents with ``unaccent``). ``@@`` is not leakproof, so under forced row-level
security PostgreSQL cannot use a GIN index for it; the search therefore finds its
candidates in ``search_postings`` (tenant, term, scope, weight, document: text equality
and ranges are leakproof, so the primary key serves as the application role) and checks
and ranks only those rows. ``search_words`` is the tenant's vocabulary (prefix
completions) and ``search_word_variants`` its one-deletion neighbourhood (typos).

Revision ID: 0015_search
Revises: 0014_knowledge
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0015_search"
down_revision: str | None = "0014_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "search_settings",
    "search_documents",
    "search_postings",
    "search_words",
    "search_word_variants",
)
LANGUAGES = ("english", "german", "french", "spanish", "simple")

# unaccent is created at provisioning (as a superuser, like pg_trgm). PostgreSQL 13+
# marks both trusted, so the database owner may create them too.
CREATE_EXTENSIONS = """
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['pg_trgm', 'unaccent'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = name) THEN
            EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I', name);
        END IF;
    END LOOP;
END
$$;
"""


def _tenant(*, foreign_key: bool = True) -> sa.Column[object]:
    if not foreign_key:
        # Derived rows (postings, words): no foreign key, whose per-row check cost a third
        # of a bulk index write; they are deleted with their documents, and a removed
        # tenant's leftovers are invisible to everyone (RLS).
        return sa.Column("tenant_id", UUID(as_uuid=True), nullable=False)
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.execute(CREATE_EXTENSIONS)
    # One configuration per language: the language's stemmer after unaccent, so "Café"
    # and "cafe" are one lexeme and ts_headline still marks the accented original.
    for language in LANGUAGES:
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION qm_{language} (COPY = pg_catalog.{language})")
        stem = "simple" if language == "simple" else f"{language}_stem"
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION qm_{language} ALTER MAPPING FOR "
            f"hword, hword_part, word WITH unaccent, {stem}"
        )
    languages = ", ".join(f"'{name}'" for name in LANGUAGES)
    op.create_table(
        "search_settings",
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("language", sa.Text(), nullable=False, server_default="english"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"language IN ({languages})", name="language_known"),
    )
    op.create_table(
        "search_documents",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant(),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("doc_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("identifiers", ARRAY(sa.Text()), nullable=False),
        sa.Column("keys", ARRAY(sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("permission", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("tsv", TSVECTOR(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "type", "doc_id"),
        sa.UniqueConstraint("tenant_id", "id"),
        sa.CheckConstraint("type ~ '^[a-z_]{1,32}$'", name="type_shape"),
    )
    op.create_table(
        "search_postings",
        _tenant(foreign_key=False),
        sa.Column("term", sa.Text(collation="C"), nullable=False),
        sa.Column("scope", sa.Text(collation="C"), nullable=False),
        sa.Column("w", sa.SmallInteger(), nullable=False),
        sa.Column("doc", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "term", "scope", "w", "doc"),
    )
    op.create_table(
        "search_words",
        _tenant(foreign_key=False),
        sa.Column("word", sa.Text(collation="C"), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "word"),
    )
    op.create_table(
        "search_word_variants",
        _tenant(foreign_key=False),
        sa.Column("variant", sa.Text(collation="C"), nullable=False),
        sa.Column("word", sa.Text(collation="C"), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "variant", "word"),
    )
    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    for language in LANGUAGES:
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS qm_{language}")
