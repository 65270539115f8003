"""Catalog: units, categories, products, price lists, prices; trigram search; RLS.

References between catalog tables are composite ``(tenant_id, …)`` foreign keys: FK
checks bypass row-level security, so a single-column FK would accept another tenant's id.

Revision ID: 0004_catalog
Revises: 0003_outbox
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0004_catalog"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("units", "categories", "products", "price_lists", "prices")

# pg_trgm is created at provisioning (as a superuser). PostgreSQL 13+ marks it trusted, so
# a database owner may create it too; anyone else gets a notice instead of a failed
# migration, and the index creation below then names the real problem.
CREATE_PG_TRGM = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm is missing and this role may not create it; '
                         'run CREATE EXTENSION pg_trgm as a superuser';
        END;
    END IF;
END
$$;
"""


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _tenant() -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.execute(CREATE_PG_TRGM)

    op.create_table(
        "units",
        _id(),
        _tenant(),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("tenant_id", "code", name="uq_units_tenant_id_code"),
        sa.CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals_range"),
    )

    op.create_table(
        "categories",
        _id(),
        _tenant(),
        sa.Column("parent_id", UUID(as_uuid=True)),
        sa.Column("name", sa.String(200), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_categories_tenant_id_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["categories.tenant_id", "categories.id"],
            name="fk_categories_tenant_id_parent_id_categories",
        ),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_categories_tenant_id_parent_lower_name ON categories "
        "(tenant_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), "
        "lower(name))"
    )
    op.create_index("ix_categories_tenant_id_parent_id", "categories", ["tenant_id", "parent_id"])

    op.create_table(
        "products",
        _id(),
        _tenant(),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("category_id", UUID(as_uuid=True)),
        sa.Column("unit_code", sa.String(20), nullable=False),
        sa.Column("barcode", sa.String(64)),
        sa.Column("attributes", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("reorder_point", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("reorder_quantity", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_products_tenant_id_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "category_id"],
            ["categories.tenant_id", "categories.id"],
            name="fk_products_tenant_id_category_id_categories",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_code"],
            ["units.tenant_id", "units.code"],
            name="fk_products_tenant_id_unit_code_units",
        ),
        sa.CheckConstraint("reorder_point >= 0", name="reorder_point_not_negative"),
        sa.CheckConstraint("reorder_quantity >= 0", name="reorder_quantity_not_negative"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("jsonb_typeof(attributes) = 'object'", name="attributes_object"),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_products_tenant_id_lower_sku ON products (tenant_id, lower(sku))"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_products_tenant_id_barcode ON products (tenant_id, barcode) "
        "WHERE barcode IS NOT NULL"
    )
    op.execute(
        "CREATE INDEX ix_products_tenant_id_lower_name_id ON products (tenant_id, lower(name), id)"
    )
    op.create_index(
        "ix_products_tenant_id_updated_at_id", "products", ["tenant_id", "updated_at", "id"]
    )
    op.create_index("ix_products_tenant_id_category_id", "products", ["tenant_id", "category_id"])
    op.execute(
        "CREATE INDEX ix_products_lower_sku_trgm ON products USING gin (lower(sku) gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_products_lower_name_trgm ON products USING gin (lower(name) gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_products_barcode_trgm ON products USING gin (barcode gin_trgm_ops)")

    op.create_table(
        "price_lists",
        _id(),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_price_lists_tenant_id_id"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_format"),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_price_lists_tenant_id_lower_name ON price_lists "
        "(tenant_id, lower(name))"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_price_lists_tenant_id_default ON price_lists (tenant_id) "
        "WHERE is_default"
    )

    op.create_table(
        "prices",
        _id(),
        _tenant(),
        sa.Column("product_id", UUID(as_uuid=True), nullable=False),
        sa.Column("price_list_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_prices_tenant_id_product_id_products",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "price_list_id"],
            ["price_lists.tenant_id", "price_lists.id"],
            name="fk_prices_tenant_id_price_list_id_price_lists",
        ),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )
    op.create_index(
        "ix_prices_tenant_id_product_id_list_effective",
        "prices",
        ["tenant_id", "product_id", "price_list_id", "effective_from"],
    )
    op.create_index("ix_prices_tenant_id_price_list_id", "prices", ["tenant_id", "price_list_id"])

    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    # pg_trgm stays: it predates this migration (provisioning creates it).
    for table in reversed(TABLES):
        op.drop_table(table)
