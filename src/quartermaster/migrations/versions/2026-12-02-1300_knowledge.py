"""Knowledge base: collections (a tree), articles, their revisions; the tenants' lookup
by slug for the public help pages.

Every table is tenant-owned under forced RLS; references between them are composite
``(tenant_id, …)`` foreign keys onto ``UNIQUE (tenant_id, id)``. A collection that still
holds articles or collections cannot be deleted (NO ACTION). The public help pages are
read without a login: ``tenants_found_by_slug`` lets a transaction that set
``app.lookup_tenant_slug`` see exactly that tenant's row (as ``app.lookup_email`` does for
users), after which it scopes itself to the tenant like any other.

Revision ID: 0014_knowledge
Revises: 0013_servicedesk
Create Date: 2026-12-02 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0014_knowledge"
down_revision: str | None = "0013_servicedesk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")
TABLES = ("kb_collections", "kb_articles", "kb_article_revisions")
SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')"
)
LOOKUP_TENANT_SLUG = "NULLIF(current_setting('app.lookup_tenant_slug', true), '')"


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _tenant() -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _uuid(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _fk(
    table: str, columns: list[str], target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_tenant_id_{'_'.join(columns)}_{target}"
    return sa.ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{target}.tenant_id", f"{target}.id"],
        name=name,
        ondelete=ondelete,
    )


def _tags() -> sa.Column[object]:
    return sa.Column("tags", ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "kb_collections",
        _id(),
        _tenant(),
        _uuid("parent_id"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_kb_collections_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "slug", name="uq_kb_collections_tenant_id_slug"),
        _fk("kb_collections", ["parent_id"], "kb_collections"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )
    op.create_index(
        "ix_kb_collections_tenant_id_parent_id", "kb_collections", ["tenant_id", "parent_id"]
    )

    op.create_table(
        "kb_articles",
        _id(),
        _tenant(),
        _uuid("collection_id"),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        _tags(),
        _uuid("author_id"),
        sa.Column("author_name", sa.String(200)),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("search_vector", TSVECTOR(), sa.Computed(SEARCH_VECTOR, persisted=True)),
        _now("created_at"),
        _now("updated_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_kb_articles_tenant_id_id"),
        sa.UniqueConstraint("tenant_id", "slug", name="uq_kb_articles_tenant_id_slug"),
        _fk("kb_articles", ["collection_id"], "kb_collections"),
        sa.CheckConstraint(_known("status", STATUSES), name="status_known"),
        sa.CheckConstraint(_known("visibility", VISIBILITIES), name="visibility_known"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )
    op.create_index(
        "ix_kb_articles_tenant_id_updated_at_id", "kb_articles", ["tenant_id", "updated_at", "id"]
    )
    op.create_index(
        "ix_kb_articles_tenant_id_collection_id", "kb_articles", ["tenant_id", "collection_id"]
    )
    op.create_index("ix_kb_articles_tags", "kb_articles", ["tags"], postgresql_using="gin")
    op.create_index(
        "ix_kb_articles_search_vector", "kb_articles", ["search_vector"], postgresql_using="gin"
    )

    op.create_table(
        "kb_article_revisions",
        _id(),
        _tenant(),
        _uuid("article_id", nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        _tags(),
        _uuid("collection_id"),
        _uuid("author_id"),
        sa.Column("author_name", sa.String(200)),
        sa.Column("note", sa.String(500)),
        sa.Column("changed", ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("restored_from", sa.Integer()),
        _now("created_at"),
        sa.UniqueConstraint("tenant_id", "id", name="uq_kb_article_revisions_tenant_id_id"),
        sa.UniqueConstraint(
            "tenant_id",
            "article_id",
            "number",
            name="uq_kb_article_revisions_tenant_id_article_id_number",
        ),
        _fk("kb_article_revisions", ["article_id"], "kb_articles", ondelete="CASCADE"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    for table in TABLES:
        isolate_by_tenant(table)

    # The public help pages find their tenant by slug, without a login: exactly the row
    # whose slug the transaction looks up (its name and slug are public on those pages).
    op.execute(
        "CREATE POLICY tenants_found_by_slug ON tenants FOR SELECT "
        f"USING (slug = {LOOKUP_TENANT_SLUG})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY tenants_found_by_slug ON tenants")
    for table in reversed(TABLES):
        op.drop_table(table)
