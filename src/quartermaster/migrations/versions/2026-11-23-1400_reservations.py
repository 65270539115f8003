"""Inventory: reservations and stock alerts; forced RLS on both.

Both reference products, locations and warehouses with composite ``(tenant_id, …)``
foreign keys (NO ACTION). At most one non-resolved alert exists per (product, warehouse).

Revision ID: 0006_reservations
Revises: 0005_inventory
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0006_reservations"
down_revision: str | None = "0005_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("reservations", "stock_alerts")

RESERVATION_STATUSES = ("active", "fulfilled", "released", "expired")
ALERT_STATUSES = ("open", "acknowledged", "resolved")


def _known(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _uuid(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _tenant() -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant(),
        _uuid("product_id"),
        _uuid("location_id"),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), server_default=sa.text("'active'"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        _uuid("created_by"),
        _now("created_at"),
        _now("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_reservations_tenant_id_product_id_products",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["locations.tenant_id", "locations.id"],
            name="fk_reservations_tenant_id_location_id_locations",
        ),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(_known(RESERVATION_STATUSES), name="status_known"),
    )
    op.create_index(
        "ix_reservations_tenant_id_status_id", "reservations", ["tenant_id", "status", "id"]
    )
    op.create_index(
        "ix_reservations_tenant_id_product_id_id", "reservations", ["tenant_id", "product_id", "id"]
    )
    op.create_index(
        "ix_reservations_tenant_id_expires_at_active",
        "reservations",
        ["tenant_id", "expires_at"],
        postgresql_where=sa.text("status = 'active' AND expires_at IS NOT NULL"),
    )

    op.create_table(
        "stock_alerts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        _tenant(),
        _uuid("product_id"),
        _uuid("warehouse_id"),
        sa.Column("status", sa.String(20), server_default=sa.text("'open'"), nullable=False),
        _now("raised_at"),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        _uuid("acknowledged_by", nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_stock_alerts_tenant_id_product_id_products",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "warehouse_id"],
            ["warehouses.tenant_id", "warehouses.id"],
            name="fk_stock_alerts_tenant_id_warehouse_id_warehouses",
        ),
        sa.CheckConstraint(_known(ALERT_STATUSES), name="status_known"),
    )
    op.create_index(
        "uq_stock_alerts_tenant_id_product_id_warehouse_id_unresolved",
        "stock_alerts",
        ["tenant_id", "product_id", "warehouse_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_index(
        "ix_stock_alerts_tenant_id_status_id", "stock_alerts", ["tenant_id", "status", "id"]
    )

    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
