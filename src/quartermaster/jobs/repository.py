"""Every query of the jobs module. Row-level security scopes all of them; the explicit
tenant filters are there for the planner and for clarity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import keyset
from quartermaster.jobs.models import Job


async def insert_job(session: AsyncSession, values: dict[str, Any]) -> Job | None:
    """Insert a job; with a ``dedup_key`` that the tenant already used for this kind,
    nothing is inserted and None is returned."""
    statement = insert(Job).values(**values)
    if values.get("dedup_key") is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=["tenant_id", "kind", "dedup_key"],
            index_where=Job.dedup_key.is_not(None),
        )
    inserted = await session.execute(statement.returning(Job))
    return inserted.scalar_one_or_none()


async def job_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False
) -> Job | None:
    query = select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def jobs_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    kind: str | None,
    limit: int,
    after: Sequence[Any] | None,
) -> list[Job]:
    """Newest first (ids are time-ordered UUIDv7): the key is ``(id,)``, descending."""
    query = select(Job).where(Job.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    query = keyset(query, [Job.id], after, limit=limit, descending=True)
    return list((await session.execute(query)).scalars())


async def latest_unfinished(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> Job | None:
    query = (
        select(Job)
        .where(
            Job.tenant_id == tenant_id,
            Job.kind == kind,
            Job.status.in_(("queued", "running")),
        )
        .order_by(Job.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def fence(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    attempt: int,
    values: dict[str, Any],
) -> tuple[datetime | None] | None:
    """Update the running job only if ``attempt`` is still its current attempt; returns
    ``(cancel_requested_at,)``, or None when the attempt was superseded or the job is no
    longer running. The row lock it takes lasts until the caller's transaction ends."""
    row = await session.execute(
        update(Job)
        .where(
            Job.tenant_id == tenant_id,
            Job.id == job_id,
            Job.attempts == attempt,
            Job.status == "running",
        )
        .values(**values)
        .returning(Job.cancel_requested_at)
        .execution_options(synchronize_session=False)
    )
    found = row.first()
    return None if found is None else (found[0],)


async def finish(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    attempt: int,
    values: dict[str, Any],
) -> Job | None:
    """Record the end of the running attempt ``attempt``; None when it was superseded."""
    row = await session.execute(
        update(Job)
        .where(
            Job.tenant_id == tenant_id,
            Job.id == job_id,
            Job.attempts == attempt,
            Job.status == "running",
        )
        .values(**values)
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return row.scalar_one_or_none()


async def stale_jobs(
    session: AsyncSession, tenant_id: uuid.UUID, *, updated_before: datetime, limit: int
) -> list[tuple[uuid.UUID, str, str]]:
    """(id, kind, status) of queued or running jobs not changed since ``updated_before``."""
    rows = await session.execute(
        select(Job.id, Job.kind, Job.status)
        .where(
            Job.tenant_id == tenant_id,
            Job.status.in_(("queued", "running")),
            Job.updated_at < updated_before,
        )
        .order_by(Job.updated_at)
        .limit(limit)
    )
    return [(job_id, kind, status) for job_id, kind, status in rows]
