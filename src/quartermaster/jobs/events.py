"""The events the jobs module publishes (outbox; delivered on the ``jobs:updates``
channel). Progress events are throttled by the runner: at most one per 2 percent or per
second of a job."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class JobEvents:
    QUEUED = "jobs.job.queued"
    STARTED = "jobs.job.started"
    PROGRESS = "jobs.job.progress"
    SUCCEEDED = "jobs.job.succeeded"
    FAILED = "jobs.job.failed"
    CANCELLED = "jobs.job.cancelled"


class JobChanged(BaseModel):
    """A job's state without its result (clients fetch GET /api/v1/jobs/{id} for it)."""

    id: uuid.UUID
    kind: str
    status: str
    progress: int
    attempts: int
    error: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
