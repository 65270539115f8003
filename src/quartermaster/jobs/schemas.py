"""What the jobs API returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class JobRead(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="e.g. product_import, stock_levels_export, low_stock_digest")
    status: JobStatus
    progress: int = Field(ge=0, le=100, description="Percent done")
    params: dict[str, Any]
    result: dict[str, Any] | None = Field(description="Set once the job has finished")
    error: str | None = Field(description="Why the job failed, when it did")
    attempts: int = Field(description="How many times a worker has started the job")
    cancel_requested: bool
    created_by: uuid.UUID | None = Field(description="The user or API key; null for schedules")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    result_url: str | None = Field(
        description="Where to download the job's file, once it has succeeded with one"
    )
