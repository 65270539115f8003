"""Jobs: the job table (status, progress, result) under forced RLS.

Placeholder filled in by that work; no schema change yet.

Revision ID: 0010_jobs
Revises: 0009_realtime
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0010_jobs"
down_revision: str | None = "0009_realtime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
