"""Trace context on the rows another process picks up: an outbox event (the relay) and a
job (the worker) remember the W3C ``traceparent`` of the request that wrote them, so one
trace spans the request, the event's publication and the job's run. NULL when tracing is
off.

Revision ID: 0016_ops
Revises: 0012_ergonomics
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_ops"
down_revision: str | None = "0012_ergonomics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding them rewrites nothing and takes a brief lock only.
    op.add_column("outbox_events", sa.Column("trace_context", sa.String(64), nullable=True))
    op.add_column("jobs", sa.Column("trace_context", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "trace_context")
    op.drop_column("outbox_events", "trace_context")
