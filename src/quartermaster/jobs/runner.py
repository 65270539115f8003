"""Running one job: claim it, run its body, record how it ended — at least once, fenced.

- **Claim** (one transaction): lock the row; a finished job is left alone (a duplicate
  delivery); a job that has used up its attempts fails; otherwise ``attempts`` goes up by
  one — this attempt's fencing token — the status becomes ``running`` and
  ``jobs.job.started`` is emitted.
- **Checkpoints**: a body records progress (and its resume state) with
  :meth:`JobRun.checkpoint` *in the transaction of the work it describes*. The update is
  guarded by the attempt number, so an attempt that lost its lease (its worker stalled or
  died, and another one took over) stops at its next checkpoint, its last chunk rolled
  back. A cancel request is noticed there too.
- **End**: success records the result; :class:`JobFailed` records a permanent failure
  with its reason; transient errors (lost connections, serialization failures, deadlocks)
  are retried by arq after a backoff while attempts remain; anything else is a bug: the
  job fails with a generic reason and the traceback goes to the log.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from arq import Retry
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.db import Database
from quartermaster.core.errors import known_failure
from quartermaster.core.events import emit
from quartermaster.core.settings import Settings
from quartermaster.jobs import repository
from quartermaster.jobs.events import JobEvents
from quartermaster.jobs.files import JobFiles
from quartermaster.jobs.models import Job
from quartermaster.jobs.runtime import WorkerRuntime, runtime_of
from quartermaster.jobs.schemas import JobStatus
from quartermaster.jobs.service import job_changed

log = structlog.stdlib.get_logger(__name__)

PROGRESS_EVENT_STEP = 2  # percent
PROGRESS_EVENT_INTERVAL = 1.0  # seconds
MAX_RETRY_DELAY = 300.0
# SQLSTATEs worth retrying: connection exceptions, serialization failure, deadlock,
# insufficient resources, operator intervention (shutdown, "cannot connect now").
TRANSIENT_SQLSTATE_PREFIXES = ("08", "40001", "40P01", "53", "57P")


class JobFailed(Exception):
    """A permanent failure (bad input, a file that cannot be read): the job fails with
    ``message`` (shown to users) and, optionally, a partial ``result``."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


class JobCancelled(Exception):
    """Raised at a checkpoint when someone asked the job to stop."""


class JobSuperseded(Exception):
    """Raised at a checkpoint when a newer attempt of the job has started (or the job
    ended meanwhile): this attempt must stop and write nothing more."""


@dataclass(frozen=True)
class JobOutput:
    """What a job body returns: its result (JSON) and, optionally, the file it wrote
    (relative to the jobs files directory, see :meth:`JobRun.result_name`)."""

    result: dict[str, Any]
    output_file: str | None = None


@dataclass
class JobRun:
    """One attempt at one job, as its body sees it."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    params: dict[str, Any]
    attempt: int
    state: dict[str, Any] | None  # the last committed checkpoint's state (resume from it)
    input_file: str | None
    runtime: WorkerRuntime
    progress: int = 0
    _event_progress: int = field(default=0, repr=False)
    _event_at: float = field(default=0.0, repr=False)

    @property
    def database(self) -> Database:
        return self.runtime.database

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def files(self) -> JobFiles:
        return self.runtime.files

    def input_path(self) -> Path:
        if self.input_file is None:
            raise JobFailed("This job has no input file.")
        return self.files.resolve(self.input_file)

    def result_name(self, suffix: str) -> str:
        return self.files.result_name(self.tenant_id, self.id, suffix)

    async def checkpoint(
        self, session: AsyncSession, *, fraction: float, state: dict[str, Any] | None = None
    ) -> None:
        """Record progress (0..1 of the work) and the resume state in ``session``'s
        transaction — the one that did the work. Raises :class:`JobSuperseded` or
        :class:`JobCancelled` (roll that transaction back: raise out of it)."""
        progress = max(self.progress, min(99, int(fraction * 100)))
        values: dict[str, Any] = {"progress": progress, "updated_at": utcnow()}
        if state is not None:
            values["checkpoint"] = state
        fenced = await repository.fence(session, self.tenant_id, self.id, self.attempt, values)
        if fenced is None:
            raise JobSuperseded
        if fenced[0] is not None:
            raise JobCancelled
        self.progress = progress
        now = time.monotonic()
        if progress > self._event_progress and (
            progress - self._event_progress >= PROGRESS_EVENT_STEP
            or now - self._event_at >= PROGRESS_EVENT_INTERVAL
        ):
            job = await repository.job_by_id(session, self.tenant_id, self.id)
            assert job is not None
            await emit(session, self.tenant_id, JobEvents.PROGRESS, job_changed(job))
            self._event_progress, self._event_at = progress, now

    async def report_progress(self, fraction: float) -> None:
        """A checkpoint in a transaction of its own (for bodies whose work is read-only or
        outside the database, e.g. writing an export file)."""
        async with self.database.transaction(self.tenant_id) as session:
            await self.checkpoint(session, fraction=fraction)


JobBody = Callable[[JobRun], Awaitable[JobOutput]]


def is_transient(exc: BaseException) -> bool:
    """Errors that say "try again later", not "this job cannot work"."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.InterfaceError | sa_exc.OperationalError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES)
    return False


def retry_delay(settings: Settings, attempt: int) -> float:
    return float(
        min(settings.jobs_retry_backoff_seconds * 2 ** max(attempt - 1, 0), MAX_RETRY_DELAY)
    )


async def run_job(ctx: dict[str, Any], tenant_id: str, job_id: str, body: JobBody) -> None:
    """The arq entry point of every job task: ``ctx`` from the worker, the job's ids."""
    runtime = runtime_of(ctx)
    tenant, job_uuid = uuid.UUID(tenant_id), uuid.UUID(job_id)
    with structlog.contextvars.bound_contextvars(tenant_id=tenant_id, job_id=job_id):
        try:
            run = await _claim(runtime, tenant, job_uuid)
        except Exception as exc:
            if is_transient(exc):
                delay = retry_delay(runtime.settings, ctx.get("job_try", 1))
                log.warning("job_claim_retry", error=repr(exc), retry_in=delay)
                raise Retry(defer=delay) from exc
            raise
        if run is None:
            return
        await _run(runtime, run, body)


async def _claim(runtime: WorkerRuntime, tenant_id: uuid.UUID, job_id: uuid.UUID) -> JobRun | None:
    settings = runtime.settings
    input_to_delete: str | None = None
    async with runtime.database.transaction(tenant_id) as session:
        job = await repository.job_by_id(session, tenant_id, job_id, for_update=True)
        if job is None:
            log.warning("job_missing", detail="no such job row (a rolled-back submit?)")
            return None
        if JobStatus(job.status).is_final:
            log.info("job_already_finished", status=job.status)
            input_to_delete = job.input_file
            run = None
        elif job.cancel_requested_at is not None:
            await _end(session, job, JobStatus.CANCELLED)
            input_to_delete = job.input_file
            run = None
        elif job.attempts >= settings.jobs_max_attempts:
            await _end(
                session,
                job,
                JobStatus.FAILED,
                error=(
                    f"The job was started {job.attempts} times without finishing (its "
                    "worker stopped or lost its lease each time); giving up."
                ),
            )
            input_to_delete = job.input_file
            run = None
        else:
            now = utcnow()
            job.attempts += 1
            job.status = JobStatus.RUNNING.value
            job.started_at = job.started_at or now
            job.updated_at = now
            job.error = None
            await session.flush()
            await emit(session, tenant_id, JobEvents.STARTED, job_changed(job))
            run = JobRun(
                id=job.id,
                tenant_id=tenant_id,
                kind=job.kind,
                params=dict(job.params),
                attempt=job.attempts,
                state=job.checkpoint,
                input_file=job.input_file,
                runtime=runtime,
                progress=job.progress,
                _event_progress=job.progress,
            )
            log.info("job_started", kind=job.kind, attempt=job.attempts)
    runtime.files.delete(input_to_delete)
    return run


async def _end(
    session: AsyncSession,
    job: Job,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    now = utcnow()
    job.status = status.value
    job.error = error
    job.result = result
    job.finished_at = now
    job.updated_at = now
    job.checkpoint = None
    await session.flush()
    event = {
        JobStatus.CANCELLED: JobEvents.CANCELLED,
        JobStatus.FAILED: JobEvents.FAILED,
        JobStatus.SUCCEEDED: JobEvents.SUCCEEDED,
    }[status]
    await emit(session, job.tenant_id, event, job_changed(job))


async def _finish(
    run: JobRun,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    output_file: str | None = None,
) -> bool:
    """Record the end of this attempt (fenced); False when a newer attempt owns the job."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": status.value,
        "error": error,
        "result": result,
        "finished_at": now,
        "updated_at": now,
        "checkpoint": None,
    }
    if status is JobStatus.SUCCEEDED:
        values["progress"] = 100
        values["output_file"] = output_file
    async with run.database.transaction(run.tenant_id) as session:
        job = await repository.finish(session, run.tenant_id, run.id, run.attempt, values)
        if job is None:
            return False
        event = {
            JobStatus.CANCELLED: JobEvents.CANCELLED,
            JobStatus.FAILED: JobEvents.FAILED,
            JobStatus.SUCCEEDED: JobEvents.SUCCEEDED,
        }[status]
        await emit(session, run.tenant_id, event, job_changed(job))
    run.files.delete(run.input_file)
    log.info("job_finished", status=status.value, attempt=run.attempt, error=error)
    return True


async def _run(runtime: WorkerRuntime, run: JobRun, body: JobBody) -> None:
    settings = runtime.settings
    scope = asyncio.timeout(settings.jobs_timeout_seconds)
    try:
        async with scope:
            output = await body(run)
    except JobSuperseded:
        log.warning("job_superseded", attempt=run.attempt, detail="a newer attempt owns it")
        return
    except JobCancelled:
        await _finish_or_retry(run, JobStatus.CANCELLED)
        return
    except JobFailed as exc:
        await _finish_or_retry(run, JobStatus.FAILED, error=exc.message, result=exc.result)
        return
    except Exception as exc:
        if isinstance(exc, TimeoutError) and scope.expired():
            error = f"The job took longer than {settings.jobs_timeout_seconds} s and was stopped."
        elif (known := known_failure(exc)) is not None:
            # A limit, not a bug, and no retry would pass it: say which.
            log.warning("job_stopped_by_database", code=known.code, error=str(exc))
            limit = settings.database_job_statement_timeout_seconds
            error = (
                f"A database statement ran longer than {limit:g} s (the jobs' statement "
                "timeout) and was stopped; narrow the job, e.g. a shorter range."
                if known.code == "statement-timeout"
                else known.detail
            )
        elif is_transient(exc):
            if run.attempt < settings.jobs_max_attempts:
                delay = retry_delay(settings, run.attempt)
                log.warning("job_retry", error=repr(exc), attempt=run.attempt, retry_in=delay)
                raise Retry(defer=delay) from exc
            error = f"Gave up after {run.attempt} attempts; the last one failed with: {exc}"
        else:
            log.exception("job_crashed", attempt=run.attempt)
            error = (
                "An unexpected error stopped the job; the worker's log has the details "
                f"(job id {run.id})."
            )
        await _finish_or_retry(run, JobStatus.FAILED, error=error)
        return
    await _finish_or_retry(
        run, JobStatus.SUCCEEDED, result=output.result, output_file=output.output_file
    )


async def _finish_or_retry(
    run: JobRun,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    output_file: str | None = None,
) -> None:
    try:
        await _finish(run, status, error=error, result=result, output_file=output_file)
    except Exception as exc:
        if is_transient(exc):
            # The next attempt redoes the work (idempotent) and records the end then.
            delay = retry_delay(run.settings, run.attempt)
            log.warning("job_finish_retry", error=repr(exc), retry_in=delay)
            raise Retry(defer=delay) from exc
        raise
