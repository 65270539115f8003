"""Inventory: moving-average product cost (valuation); forced RLS.

``product_costs`` holds one row per product that has received stock with a unit cost:
its moving-average unit cost at full ``numeric`` precision, maintained by the ledger
writer under a row lock. It references products with a composite ``(tenant_id, …)``
foreign key; ON DELETE CASCADE because the cost is derived data of the product (a product
with receipts cannot be deleted anyway: the ledger references it with NO ACTION).

Revision ID: 0007_valuation
Revises: 0006_reservations
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0007_valuation"
down_revision: str | None = "0006_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("product_costs",)


def _tenant(*, primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "product_costs",
        _tenant(primary_key=True),
        sa.Column("product_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("average_cost", sa.Numeric(), nullable=False),
        _now("updated_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["products.tenant_id", "products.id"],
            name="fk_product_costs_tenant_id_product_id_products",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("average_cost >= 0", name="average_cost_not_negative"),
    )

    for table in TABLES:
        isolate_by_tenant(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
