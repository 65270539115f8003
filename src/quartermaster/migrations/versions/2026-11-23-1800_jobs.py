"""Jobs: the job table (status, progress, result) under forced RLS, and tenant listing for
the scheduler.

``jobs`` mirrors what users care about (the arq queue in Redis is an implementation
detail): status, progress, result, error, attempts. ``attempts`` is also the fencing token
of the running attempt: every checkpoint of a job is an UPDATE guarded by it, so an
attempt that lost its lease can never write after a newer one started.

The scheduler (cron jobs of the worker) must know which tenants exist; ``tenants`` is
visible per tenant only. ``tenants_listed_for_scheduler`` lets the *owner role* — never
the application role — read every tenant row in a transaction that explicitly asked for
it (``app.all_tenants = 'on'``). The owner owns the table and could switch RLS off anyway,
so this grants nothing new, and without the setting the owner stays bound (FORCE). All
tenant data is then read and written per tenant, as the application role, under RLS.

Revision ID: 0010_jobs
Revises: 0009_realtime
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from quartermaster.core.tenancy import isolate_by_tenant

revision: str = "0010_jobs"
down_revision: str | None = "0009_realtime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
ALL_TENANTS = "current_setting('app.all_tenants', true) = 'on'"


def _now(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "tenant_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("progress", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("params", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("result", JSONB()),
        sa.Column("error", sa.Text()),
        sa.Column("created_by", UUID(as_uuid=True)),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True)),
        # The running task's resume point (e.g. rows done), written with each chunk.
        sa.Column("checkpoint", JSONB()),
        # Makes a scheduled job unique per tenant and period (the daily digest).
        sa.Column("dedup_key", sa.String(100)),
        # Paths relative to the jobs files directory; never shown to clients.
        sa.Column("input_file", sa.Text()),
        sa.Column("output_file", sa.Text()),
        _now("created_at"),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        _now("updated_at"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="status_known"
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )
    op.create_index("ix_jobs_tenant_id_id", "jobs", ["tenant_id", "id"])
    op.create_index("ix_jobs_tenant_id_status_id", "jobs", ["tenant_id", "status", "id"])
    op.create_index("ix_jobs_tenant_id_kind_id", "jobs", ["tenant_id", "kind", "id"])
    # The sweeper's question: which jobs have waited (or run silently) too long?
    op.create_index(
        "ix_jobs_tenant_id_updated_at_unfinished",
        "jobs",
        ["tenant_id", "updated_at"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index(
        "uq_jobs_tenant_id_kind_dedup_key",
        "jobs",
        ["tenant_id", "kind", "dedup_key"],
        unique=True,
        postgresql_where=sa.text("dedup_key IS NOT NULL"),
    )
    isolate_by_tenant("jobs")
    op.execute(
        "CREATE POLICY tenants_listed_for_scheduler ON tenants FOR SELECT "
        f"TO CURRENT_USER USING ({ALL_TENANTS})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY tenants_listed_for_scheduler ON tenants")
    op.drop_table("jobs")
