"""What a worker process holds for its tasks (in arq's ``ctx``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import JobQueue
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.metrics import JobMetrics

RUNTIME_KEY = "quartermaster"


@dataclass
class WorkerRuntime:
    settings: Settings
    # The application role: all tenant data, per tenant, under row-level security.
    database: Database
    # The owner role: only to list tenants for schedules (see the 0010_jobs migration).
    owner_database: Database
    files: JobFiles
    queue: JobQueue
    metrics: JobMetrics = field(default_factory=JobMetrics)


def runtime_of(ctx: dict[str, Any]) -> WorkerRuntime:
    runtime = ctx[RUNTIME_KEY]
    assert isinstance(runtime, WorkerRuntime)
    return runtime
