"""Inventory exports as background jobs: POST /exports/stock-levels and
POST /exports/movements (included by ``inventory.router``). The file is downloaded from
GET /api/v1/jobs/{id}/result once the job has succeeded."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from quartermaster.core.db import SessionDep
from quartermaster.core.errors import AppError
from quartermaster.core.inputs import Timestamp
from quartermaster.core.urls import API
from quartermaster.identity.public import Principal
from quartermaster.inventory.params import InventoryRead, LevelFilterDep
from quartermaster.inventory.schemas import MovementKind
from quartermaster.inventory.service.exports import MOVEMENTS_EXPORT, STOCK_LEVELS_EXPORT
from quartermaster.jobs.public import JobQueueDep, JobRead, submit_job

export_jobs_router = APIRouter(prefix="/exports", tags=["exports"])

ACCEPTED = "The job; follow Location (GET /api/v1/jobs/{id}) until it has succeeded"


class InvalidRange(AppError):
    def __init__(self) -> None:
        super().__init__(422, "invalid-range", "'to' must be later than 'from'.")


async def _submit(
    session: SessionDep,
    queue: JobQueueDep,
    principal: Principal,
    response: Response,
    kind: str,
    params: dict[str, Any],
) -> JobRead:
    job = await submit_job(
        session,
        queue,
        principal.tenant_id,
        kind,
        params={name: value for name, value in params.items() if value is not None},
        created_by=principal.id,
    )
    assert job is not None
    response.headers["Location"] = f"{API}/jobs/{job.id}"
    return job


@export_jobs_router.post(
    "/stock-levels",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    summary="Export stock levels to a CSV file, as a background job",
    responses={202: {"description": ACCEPTED}},
)
async def export_stock_levels_job(
    principal: InventoryRead,
    session: SessionDep,
    queue: JobQueueDep,
    response: Response,
    where: LevelFilterDep,
) -> JobRead:
    params = {
        "product_id": str(where.product_id) if where.product_id else None,
        "warehouse_id": str(where.warehouse_id) if where.warehouse_id else None,
        "location_id": str(where.location_id) if where.location_id else None,
        "below_reorder": where.below_reorder,
    }
    return await _submit(session, queue, principal, response, STOCK_LEVELS_EXPORT, params)


@export_jobs_router.post(
    "/movements",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    summary="Export the stock movements of a period to a CSV file, as a background job",
    responses={202: {"description": ACCEPTED}, 422: {"description": "'to' is not after 'from'"}},
)
async def export_movements_job(
    principal: InventoryRead,
    session: SessionDep,
    queue: JobQueueDep,
    response: Response,
    recorded_from: Annotated[Timestamp, Query(alias="from", description="recorded_at ≥ this")],
    recorded_to: Annotated[Timestamp, Query(alias="to", description="recorded_at < this")],
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[
        uuid.UUID | None, Query(description="Movements into or out of this warehouse")
    ] = None,
    location_id: Annotated[
        uuid.UUID | None, Query(description="Movements into or out of this location")
    ] = None,
    kind: Annotated[MovementKind | None, Query()] = None,
) -> JobRead:
    if recorded_to <= recorded_from:
        raise InvalidRange
    params = {
        "from": recorded_from.isoformat(),
        "to": recorded_to.isoformat(),
        "product_id": str(product_id) if product_id else None,
        "warehouse_id": str(warehouse_id) if warehouse_id else None,
        "location_id": str(location_id) if location_id else None,
        "kind": kind.value if kind else None,
    }
    return await _submit(session, queue, principal, response, MOVEMENTS_EXPORT, params)
