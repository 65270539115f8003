"""Jobs HTTP API: /jobs, /jobs/{id}, /jobs/{id}/cancel, /jobs/{id}/result."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from quartermaster.core.db import SessionDep
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import Responses
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.jobs import service
from quartermaster.jobs.public import JobFilesDep
from quartermaster.jobs.schemas import JobRead, JobStatus

TenantRead = Annotated[Principal, Depends(require(Permission.TENANT_READ))]

jobs_router = APIRouter(prefix="/jobs", tags=["jobs"])

NOT_FOUND: Responses = {404: {"description": "No such job in this organization"}}


@jobs_router.get("", response_model=Page[JobRead], summary="Background jobs, newest first")
async def list_jobs(
    principal: TenantRead,
    session: SessionDep,
    page: PageParamsDep,
    status: Annotated[JobStatus | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[JobRead]:
    return await service.list_jobs(session, principal, page, status=status, kind=kind)


@jobs_router.get("/{job_id}", response_model=JobRead, summary="A job", responses=NOT_FOUND)
async def get_job(job_id: uuid.UUID, principal: TenantRead, session: SessionDep) -> JobRead:
    return await service.get_job(session, principal, job_id)


@jobs_router.post(
    "/{job_id}/cancel",
    response_model=JobRead,
    summary="Cancel a job (queued: at once; running: at its next checkpoint)",
    responses={
        **NOT_FOUND,
        403: {"description": "Neither the job's creator nor an admin"},
        409: {"description": "The job has already succeeded or failed"},
    },
)
async def cancel_job(job_id: uuid.UUID, principal: TenantRead, session: SessionDep) -> JobRead:
    return await service.cancel_job(session, principal, job_id)


@jobs_router.get(
    "/{job_id}/result",
    response_class=FileResponse,
    summary="Download the file a job produced (e.g. a CSV export)",
    responses={
        200: {"content": {"text/csv": {}}},
        **NOT_FOUND,
        409: {"description": "The job has not succeeded (yet)"},
        410: {"description": "The file was deleted after its retention period"},
    },
)
async def job_result(
    job_id: uuid.UUID, principal: TenantRead, session: SessionDep, files: JobFilesDep
) -> FileResponse:
    found = await service.result_file(session, principal, files, job_id)
    return FileResponse(found.path, media_type=found.media_type, filename=found.download_name)


# The app includes each of these at /api/v1 (one level of routers).
routers = [jobs_router]
