"""Inventory: warehouses, locations, stock levels, the append-only stock ledger and
idempotency keys; forced RLS on every table.

Levels and movements reference products with plain (NO ACTION) composite foreign keys, so
a product with stock history cannot be deleted (catalog answers 409 product-in-use).

Revision ID: 0005_inventory
Revises: 0004_catalog
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0005_inventory"
down_revision: str | None = "0004_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("warehouses", "locations", "stock_levels", "stock_movements", "idempotency_keys")

MOVEMENT_KINDS = ("receipt", "issue", "transfer", "adjustment", "count", "fulfilment")
MOVEMENT_SHAPE = (
    "(kind = 'receipt' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
    " OR (kind IN ('issue', 'fulfilment')"
    " AND from_location_id IS NOT NULL AND to_location_id IS NULL)"
    " OR (kind = 'transfer' AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL"
    " AND from_location_id <> to_location_id)"
    " OR (kind IN ('adjustment', 'count')"
    " AND (from_location_id IS NULL) <> (to_location_id IS NULL))"
)

# The ledger is append-only for every writer, the owner role included. Only the removal of
# a whole tenant (a cascade from `tenants`, i.e. a nested trigger) may delete its rows.
# TRUNCATE (the test harness, an operator's reset) fires no row triggers.
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION stock_movements_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'stock_movements is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a correcting movement instead.';
END
$$;
"""


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=True), primary_key=True)


def _tenant(*, primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
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


def _version() -> sa.Column[object]:
    return sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "warehouses",
        _id(),
        _tenant(),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text()),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        _version(),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_warehouses_tenant_id_id"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_warehouses_tenant_id_lower_code ON warehouses "
        "(tenant_id, lower(code))"
    )

    op.create_table(
        "locations",
        _id(),
        _tenant(),
        sa.Column("warehouse_id", UUID(as_uuid=True), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), server_default=sa.false(), nullable=False),
        _version(),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="uq_locations_tenant_id_id"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["warehouses.tenant_id", "warehouses.id"],
            name="fk_locations_tenant_id_warehouse_id_warehouses",
        ),
        sa.CheckConstraint("version >= 1", name="version_positive"),
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_locations_tenant_id_warehouse_id_lower_code ON locations "
        "(tenant_id, warehouse_id, lower(code))"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_locations_tenant_id_warehouse_id_default ON locations "
        "(tenant_id, warehouse_id) WHERE is_default"
    )

    op.create_table(
        "stock_levels",
        _tenant(primary_key=True),
        sa.Column("product_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("location_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("on_hand", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_levels_tenant_id_product_id_products",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_levels_tenant_id_location_id_locations",
        ),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )
    op.create_index(
        "ix_stock_levels_tenant_id_location_id", "stock_levels", ["tenant_id", "location_id"]
    )

    op.create_table(
        "stock_movements",
        _id(),
        _tenant(),
        sa.Column("batch_id", UUID(as_uuid=True), nullable=False),
        sa.Column("line_no", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("product_id", UUID(as_uuid=True), nullable=False),
        sa.Column("from_location_id", UUID(as_uuid=True)),
        sa.Column("to_location_id", UUID(as_uuid=True)),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("unit_cost", sa.Numeric()),
        sa.Column("reason", sa.String(500)),
        sa.Column("reference", sa.String(200)),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by", UUID(as_uuid=True), nullable=False),
        sa.Column("recorded_by_label", sa.String(320), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_movements_tenant_id_product_id_products",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "from_location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_movements_tenant_id_from_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "to_location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_stock_movements_tenant_id_to_location_id_locations",
        ),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in MOVEMENT_KINDS) + ")", name="kind_known"
        ),
        sa.CheckConstraint(MOVEMENT_SHAPE, name="locations_match_kind"),
    )
    for name, columns in (
        ("ix_stock_movements_tenant_id_recorded_at_id", ["tenant_id", "recorded_at", "id"]),
        ("ix_stock_movements_tenant_id_product_id_id", ["tenant_id", "product_id", "id"]),
        ("ix_stock_movements_tenant_id_from_location_id", ["tenant_id", "from_location_id"]),
        ("ix_stock_movements_tenant_id_to_location_id", ["tenant_id", "to_location_id"]),
        ("ix_stock_movements_tenant_id_batch_id", ["tenant_id", "batch_id"]),
        ("ix_stock_movements_tenant_id_reference", ["tenant_id", "reference"]),
    ):
        op.create_index(name, "stock_movements", columns)
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements "
        "FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only()"
    )

    op.create_table(
        "idempotency_keys",
        _tenant(primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_status", sa.SmallInteger()),
        sa.Column("response_body", sa.JSON()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index(
        "ix_idempotency_keys_tenant_id_created_at", "idempotency_keys", ["tenant_id", "created_at"]
    )

    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DROP FUNCTION stock_movements_append_only()")
