"""Catalog: product search postings usable under row-level security.

Placeholder filled in by the search work; no schema change yet.

Revision ID: 0008_product_search
Revises: 0007_valuation
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008_product_search"
down_revision: str | None = "0007_valuation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
