"""Ergonomics: partial fulfilment of reservations, barcode types, SKU lookups by code.

- ``reservations.fulfilled_quantity``: how much of a reservation has been issued so far
  (a reservation of 10 fulfilled by 3 stays active with 7 still reserved). Rows already
  fulfilled are backfilled with their whole quantity.
- ``products.barcode_type``: ``other`` (free-form, the default: every existing code stays
  valid) or ``ean13``/``ean8``/``upca``, whose length and check digit the API checks.
- ``ix_products_tenant_id_sku``: movements, reservations and counts may name a product by
  SKU. ``lower(sku)`` cannot use its index under row-level security (``lower`` is not
  leakproof), exact ``sku = ANY(…)`` can use this one; the case-insensitive match is the
  fallback for the codes it did not find.

Revision ID: 0012_ergonomics
Revises: 0010_jobs
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_ergonomics"
down_revision: str | None = "0010_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BARCODE_TYPES = ("other", "ean13", "ean8", "upca")


def upgrade() -> None:
    op.add_column(
        "reservations",
        sa.Column("fulfilled_quantity", sa.Numeric(), server_default=sa.text("0"), nullable=False),
    )
    # Forced RLS binds the owner too: lifted for this (transactional) backfill only.
    op.execute("ALTER TABLE reservations NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE reservations SET fulfilled_quantity = quantity WHERE status = 'fulfilled'")
    op.execute("ALTER TABLE reservations FORCE ROW LEVEL SECURITY")
    op.create_check_constraint(
        "fulfilled_quantity_range",
        "reservations",
        "fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
    )

    op.add_column(
        "products",
        sa.Column("barcode_type", sa.String(10), server_default=sa.text("'other'"), nullable=False),
    )
    op.create_check_constraint(
        "barcode_type_known",
        "products",
        "barcode_type IN (" + ", ".join(f"'{t}'" for t in BARCODE_TYPES) + ")",
    )
    op.create_index("ix_products_tenant_id_sku", "products", ["tenant_id", "sku"])


def downgrade() -> None:
    op.drop_index("ix_products_tenant_id_sku", table_name="products")
    op.drop_constraint("barcode_type_known", "products", type_="check")
    op.drop_column("products", "barcode_type")
    op.drop_constraint("fulfilled_quantity_range", "reservations", type_="check")
    op.drop_column("reservations", "fulfilled_quantity")
