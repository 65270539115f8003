"""The job table: one row per background job, tenant-owned under forced RLS."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.core.db import Base, IdMixin

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in JOB_STATUSES) + ")", name="status_known"
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_jobs_tenant_id_id", "tenant_id", "id"),
        Index("ix_jobs_tenant_id_status_id", "tenant_id", "status", "id"),
        Index("ix_jobs_tenant_id_kind_id", "tenant_id", "kind", "id"),
        Index(
            "ix_jobs_tenant_id_updated_at_unfinished",
            "tenant_id",
            "updated_at",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index(
            "uq_jobs_tenant_id_kind_dedup_key",
            "tenant_id",
            "kind",
            "dedup_key",
            unique=True,
            postgresql_where=text("dedup_key IS NOT NULL"),
        ),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), server_default=text("'queued'"))
    progress: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    params: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    # none_as_null: None is SQL NULL, not the JSON value null.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    cancel_requested_at: Mapped[datetime | None]
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    dedup_key: Mapped[str | None] = mapped_column(String(100))
    input_file: Mapped[str | None] = mapped_column(Text)
    output_file: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    # The submitting request's W3C traceparent when tracing is on (core.tracing).
    trace_context: Mapped[str | None] = mapped_column(String(64))
