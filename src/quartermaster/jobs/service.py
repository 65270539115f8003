"""Jobs as requests see them: submit (insert + enqueue after commit), read, list, cancel,
download the result. Flush, never commit: the request owns the transaction."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.inputs import InvalidText, TextProblem, text_problem
from quartermaster.core.pagination import (
    Page,
    PageParams,
)
from quartermaster.core.tracing import current_traceparent
from quartermaster.core.urls import API
from quartermaster.identity.public import Principal, Role
from quartermaster.jobs import repository
from quartermaster.jobs.enqueueing import JobQueue, QueuedJob, enqueue_after_commit
from quartermaster.jobs.errors import (
    CancelNotAllowed,
    JobAlreadyFinished,
    JobFileExpired,
    JobHasNoFile,
    JobHasNoResult,
    JobNotFinished,
    JobNotFound,
    UploadTooLarge,
)
from quartermaster.jobs.events import JobChanged, JobEvents
from quartermaster.jobs.files import FileTooLarge, JobFiles
from quartermaster.jobs.models import Job
from quartermaster.jobs.schemas import JobRead, JobStatus


def job_read(job: Job) -> JobRead:
    has_file = job.output_file is not None and job.status == JobStatus.SUCCEEDED
    return JobRead(
        id=job.id,
        kind=job.kind,
        status=JobStatus(job.status),
        progress=job.progress,
        params=job.params,
        result=job.result,
        error=job.error,
        attempts=job.attempts,
        cancel_requested=job.cancel_requested_at is not None,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        updated_at=job.updated_at,
        result_url=f"{API}/jobs/{job.id}/result" if has_file else None,
    )


def job_changed(job: Job) -> JobChanged:
    return JobChanged(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        attempts=job.attempts,
        error=job.error,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


async def submit_job(
    session: AsyncSession,
    queue: JobQueue,
    tenant_id: uuid.UUID,
    kind: str,
    *,
    params: dict[str, Any] | None = None,
    created_by: uuid.UUID | None = None,
    dedup_key: str | None = None,
    input_file: str | None = None,
    job_id: uuid.UUID | None = None,
) -> JobRead | None:
    """Insert a queued job and emit ``jobs.job.queued`` in the caller's transaction; the
    job is enqueued to the worker only once that transaction commits. With a
    ``dedup_key`` already used by the tenant for this kind, nothing happens (None)."""
    now = utcnow()
    job = await repository.insert_job(
        session,
        {
            "id": job_id or new_id(),
            "tenant_id": tenant_id,
            "kind": kind,
            "status": JobStatus.QUEUED.value,
            "progress": 0,
            "params": params or {},
            "created_by": created_by,
            "attempts": 0,
            "dedup_key": dedup_key,
            "input_file": input_file,
            "created_at": now,
            "updated_at": now,
            "trace_context": current_traceparent(),
        },
    )
    if job is None:
        return None
    await emit(session, tenant_id, JobEvents.QUEUED, job_changed(job))
    enqueue_after_commit(session, queue, QueuedJob(kind=kind, tenant_id=tenant_id, job_id=job.id))
    return job_read(job)


async def unfinished_job(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> JobRead | None:
    """The newest queued or running job of ``kind`` (for modules that allow one at a time)."""
    job = await repository.latest_unfinished(session, tenant_id, kind)
    return job_read(job) if job is not None else None


@dataclass(frozen=True)
class Upload:
    """A file a client sent (``UploadFile`` fits)."""

    file: BinaryIO
    filename: str | None


async def submit_upload_job(
    session: AsyncSession,
    queue: JobQueue,
    files: JobFiles,
    principal: Principal,
    kind: str,
    upload: Upload,
    *,
    suffix: str,
    max_bytes: int,
    params: dict[str, Any] | None = None,
) -> JobRead:
    """Keep the upload under the jobs files directory (413 past ``max_bytes``) and submit
    a job that reads it. The file's contents are the job's business: a malformed file
    fails the job, not the request."""
    # The multipart body streams past the edge's text checks; its file name is kept.
    if upload.filename is not None and (reason := text_problem(upload.filename)):
        raise InvalidText(TextProblem("form", "file", f"has a file name that {reason}"))
    job_id = new_id()
    relative = files.upload_name(principal.tenant_id, job_id, suffix)
    try:
        size = await asyncio.to_thread(files.store, upload.file, relative, max_bytes=max_bytes)
    except FileTooLarge as exc:
        raise UploadTooLarge(max_bytes) from exc
    try:
        job = await submit_job(
            session,
            queue,
            principal.tenant_id,
            kind,
            params={**(params or {}), "file_name": upload.filename, "file_bytes": size},
            created_by=principal.id,
            input_file=relative,
            job_id=job_id,
        )
    except BaseException:
        files.delete(relative)
        raise
    assert job is not None
    return job


async def get_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> JobRead:
    job = await repository.job_by_id(session, principal.tenant_id, job_id)
    if job is None:
        raise JobNotFound
    return job_read(job)


async def list_jobs(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: JobStatus | None,
    kind: str | None,
) -> Page[JobRead]:
    jobs, next_cursor = page.next_page(
        await repository.jobs_page(
            session,
            principal.tenant_id,
            status=status.value if status else None,
            kind=kind,
            limit=page.fetch,
            after=page.after(uuid.UUID),
        ),
        lambda job: [job.id],
    )
    return Page[JobRead](items=[job_read(j) for j in jobs], next_cursor=next_cursor)


async def cancel_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> JobRead:
    """Cancel a job: a queued one is cancelled at once; a running one is asked to stop and
    stops at its next checkpoint (work it committed before stays). The member or API key
    that started it may cancel it, and admins may cancel any."""
    job = await repository.job_by_id(session, principal.tenant_id, job_id, for_update=True)
    if job is None:
        raise JobNotFound
    if job.created_by != principal.id and not principal.role >= Role.ADMIN:
        raise CancelNotAllowed
    status = JobStatus(job.status)
    if status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        raise JobAlreadyFinished(status.value)
    if status is JobStatus.CANCELLED:
        return job_read(job)
    now = utcnow()
    job.cancel_requested_at = job.cancel_requested_at or now
    job.updated_at = now
    if status is JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED.value
        job.finished_at = now
        await session.flush()
        await emit(session, job.tenant_id, JobEvents.CANCELLED, job_changed(job))
    else:
        await session.flush()
    return job_read(job)


@dataclass(frozen=True)
class ResultFile:
    path: Path
    download_name: str
    media_type: str


async def result_file(
    session: AsyncSession, principal: Principal, files: JobFiles, job_id: uuid.UUID
) -> ResultFile:
    """The file a job produced: 409 until it succeeded, 404 when its result is not a
    file, 410 once the file was pruned."""
    job = await repository.job_by_id(session, principal.tenant_id, job_id)
    if job is None:
        raise JobNotFound
    status = JobStatus(job.status)
    if status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise JobNotFinished(status.value)
    if status is not JobStatus.SUCCEEDED:
        raise JobHasNoResult(status.value)
    if job.output_file is None:
        raise JobHasNoFile
    path = files.resolve(job.output_file)
    if not path.is_file():
        raise JobFileExpired
    result = job.result or {}
    return ResultFile(
        path=path,
        download_name=str(result.get("file_name") or path.name),
        media_type=str(result.get("media_type") or "application/octet-stream"),
    )
