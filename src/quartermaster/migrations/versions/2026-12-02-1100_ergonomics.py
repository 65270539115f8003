"""Ergonomics: partial fulfilment of reservations, barcode types, SKU lookups by code.

- ``reservations.fulfilled_quantity``: how much of a reservation has been issued so far
  (a reservation of 10 fulfilled by 3 stays active with 7 still reserved). Rows already
  fulfilled are backfilled with their whole quantity.
- ``products.barcode_type``: ``other`` (free-form, the default: every existing code stays
  valid) or ``ean13``/``ean8``/``upca``, whose length and check digit the API checks.
- ``price_lists.price_decimals``: the decimal places a price in the list may have; new
  lists default to the currency's ISO 4217 minor units (EUR 2, JPY 0, BHD 3). Existing
  lists get those too, or more where their prices already have more (so no list holds a
  price its own precision would refuse).
- ``ix_products_tenant_id_sku``: movements, reservations and counts may name a product by
  SKU. ``lower(sku)`` cannot use its index under row-level security (``lower`` is not
  leakproof), exact ``sku = ANY(…)`` can use this one; the case-insensitive match is the
  fallback for the codes it did not find.

Revision ID: 0012_ergonomics
Revises: 0011_accounts
Create Date: 2026-12-02 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_ergonomics"
down_revision: str | None = "0011_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BARCODE_TYPES = ("other", "ean13", "ean8", "upca")
# ISO 4217 exponents other than 2 (catalog.schemas.ISO_4217_MINOR_UNITS when this was written).
MINOR_UNITS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(),  # noqa: SIM905
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),  # noqa: SIM905
}
_EXPONENT = (
    "CASE pl.currency "
    + " ".join(f"WHEN '{code}' THEN {digits}" for code, digits in sorted(MINOR_UNITS.items()))
    + " ELSE 2 END"
)
BACKFILL_PRICE_DECIMALS = f"""
UPDATE price_lists AS pl SET price_decimals = least(4, greatest({_EXPONENT}, coalesce(
    (SELECT max(min_scale(p.amount)) FROM prices AS p
     WHERE p.tenant_id = pl.tenant_id AND p.price_list_id = pl.id), 0)))
"""


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

    op.add_column("price_lists", sa.Column("price_decimals", sa.SmallInteger(), nullable=True))
    for table in ("price_lists", "prices"):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(BACKFILL_PRICE_DECIMALS)
    for table in ("price_lists", "prices"):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.alter_column("price_lists", "price_decimals", nullable=False)
    op.create_check_constraint(
        "price_decimals_range", "price_lists", "price_decimals BETWEEN 0 AND 4"
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
    op.drop_constraint("price_decimals_range", "price_lists", type_="check")
    op.drop_column("price_lists", "price_decimals")
    op.drop_constraint("fulfilled_quantity_range", "reservations", type_="check")
    op.drop_column("reservations", "fulfilled_quantity")
