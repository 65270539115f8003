"""Inventory: moving-average product cost (valuation).

Placeholder filled in by the valuation work; no schema change yet.

Revision ID: 0007_valuation
Revises: 0006_reservations
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007_valuation"
down_revision: str | None = "0006_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
