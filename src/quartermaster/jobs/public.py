"""The jobs module's surface for other modules and the application layer.

A module that runs work in the background:

- defines a body ``async def body(run: JobRun) -> JobOutput`` in its service layer;
- registers it in its ``tasks.py``: ``TASKS = [job_task(KIND, body)]`` (and its
  schedules in ``schedules(settings)``);
- submits jobs from a request with :func:`submit_job` / :func:`submit_upload_job` — they
  are enqueued once the request's transaction has committed.
"""

from __future__ import annotations

from typing import Annotated, Any

from arq.worker import Function, func
from fastapi import Depends, Request
from redis.asyncio import Redis

from quartermaster.core.settings import Settings
from quartermaster.jobs.enqueueing import JobQueue, MailQueue, wait_for_enqueues
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.runner import (
    JobBody,
    JobFailed,
    JobOutput,
    JobRun,
    run_job,
)
from quartermaster.jobs.runtime import WorkerRuntime, runtime_of
from quartermaster.jobs.scheduler import for_each_tenant, schedule
from quartermaster.jobs.schemas import JobRead, JobStatus
from quartermaster.jobs.service import Upload, submit_job, submit_upload_job, unfinished_job


def job_task(kind: str, body: JobBody) -> Function:
    """The arq task of one job kind: arq calls it with the job's tenant and job ids."""

    async def task(ctx: dict[str, Any], tenant_id: str, job_id: str) -> None:
        await run_job(ctx, tenant_id, job_id, body)

    task.__qualname__ = task.__name__ = kind
    return func(task, name=kind)


async def get_job_queue(request: Request) -> JobQueue:
    queue = getattr(request.app.state, "job_queue", None)
    if not isinstance(queue, JobQueue):
        redis = request.app.state.redis
        assert isinstance(redis, Redis)
        queue = request.app.state.job_queue = JobQueue(redis)
    return queue


async def get_job_files(request: Request) -> JobFiles:
    files = getattr(request.app.state, "job_files", None)
    if not isinstance(files, JobFiles):
        settings = request.app.state.settings
        assert isinstance(settings, Settings)
        files = request.app.state.job_files = JobFiles.from_settings(settings)
    return files


JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]
JobFilesDep = Annotated[JobFiles, Depends(get_job_files)]

__all__ = [
    "JobBody",
    "JobFailed",
    "JobFiles",
    "JobFilesDep",
    "JobOutput",
    "JobQueue",
    "JobQueueDep",
    "JobRead",
    "JobRun",
    "JobStatus",
    "MailQueue",
    "Upload",
    "WorkerRuntime",
    "for_each_tenant",
    "job_task",
    "runtime_of",
    "schedule",
    "submit_job",
    "submit_upload_job",
    "unfinished_job",
    "wait_for_enqueues",
]
