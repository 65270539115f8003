"""Catalog imports over HTTP: POST /imports/products (included by ``catalog.router``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status

from quartermaster.catalog.service.imports import PRODUCT_IMPORT
from quartermaster.core.db import SessionDep
from quartermaster.core.deps import SettingsDep
from quartermaster.core.inputs import QueryFlag
from quartermaster.core.urls import API
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.jobs.public import (
    JobFilesDep,
    JobQueueDep,
    JobRead,
    Upload,
    submit_upload_job,
)

CatalogWrite = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]

imports_router = APIRouter(prefix="/imports", tags=["imports"])


@imports_router.post(
    "/products",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    summary="Import products from CSV (upsert by SKU) as a background job",
    responses={413: {"description": "The file is larger than the server accepts"}},
)
async def import_products(
    principal: CatalogWrite,
    session: SessionDep,
    queue: JobQueueDep,
    files: JobFilesDep,
    settings: SettingsDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8) with the columns of the products export")
    ],
    dry_run: Annotated[
        QueryFlag, Query(description="Validate every row and report; write nothing")
    ] = False,
) -> JobRead:
    job = await submit_upload_job(
        session,
        queue,
        files,
        principal,
        PRODUCT_IMPORT,
        Upload(file=file.file, filename=file.filename),
        suffix=".csv",
        max_bytes=settings.jobs_max_upload_bytes,
        params={"dry_run": dry_run},
    )
    response.headers["Location"] = f"{API}/jobs/{job.id}"
    return job
