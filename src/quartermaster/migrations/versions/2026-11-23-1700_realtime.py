"""Realtime: the outbox relay's access to every tenant's events.

Placeholder filled in by that work; no schema change yet.

Revision ID: 0009_realtime
Revises: 0008_product_search
Create Date: 2026-11-23 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009_realtime"
down_revision: str | None = "0008_product_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
