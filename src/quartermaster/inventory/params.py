"""Request pieces shared by the inventory routers (``router``, ``export_jobs``,
``reports``): the read permission, the stock-level filters of the exports, and the
``Idempotency-Key`` handling of retry-safe writes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.db import SessionDep
from quartermaster.core.inputs import QueryFlag
from quartermaster.identity.public import Permission, Principal, require
from quartermaster.inventory.repository import LevelFilter
from quartermaster.inventory.service import idempotency

InventoryRead = Annotated[Principal, Depends(require(Permission.INVENTORY_READ))]


async def level_filter(
    product_id: Annotated[uuid.UUID | None, Query()] = None,
    warehouse_id: Annotated[uuid.UUID | None, Query()] = None,
    location_id: Annotated[uuid.UUID | None, Query()] = None,
    below_reorder: Annotated[
        QueryFlag | None, Query(description="As on GET /stock/levels (per warehouse)")
    ] = None,
) -> LevelFilter:
    """The filters of a stock-levels export (the CSV stream and the background job)."""
    return LevelFilter(
        product_id=product_id,
        warehouse_id=warehouse_id,
        location_id=location_id,
        below_reorder=below_reorder,
    )


LevelFilterDep = Annotated[LevelFilter, Depends(level_filter)]


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retry-safe writes: the same key and body return the first response",
    ),
]


@dataclass(frozen=True)
class IdempotentWrite:
    """A write endpoint's ``Idempotency-Key``: the same key and body get the first response
    again (``Idempotent-Replayed: true``), the same key with another body is 409
    ``idempotency-key-reused`` (``service.idempotency``)."""

    session: AsyncSession
    method: str
    path: str
    key: str | None

    async def respond(
        self,
        principal: Principal,
        payload: BaseModel,
        status: int,
        produce: Callable[[], Awaitable[BaseModel]],
        *,
        location: str | None = None,
        headers_of: Callable[[Any], Mapping[str, str]] | None = None,
    ) -> Response:
        """The JSON response of ``produce()`` with ``status``, or the one stored for the
        key; ``location`` (with ``{id}`` for the body's id) becomes the Location header;
        ``headers_of`` derives more headers from the body (decoded JSON), so a replay
        carries the same ones as the first answer."""
        answer = await idempotency.respond_once(
            self.session,
            principal.tenant_id,
            self.key,
            (self.method, self.path, payload),
            status,
            produce,
        )
        headers = {}
        if location is not None:
            headers["Location"] = location.format(id=answer.id)
        if headers_of is not None:
            headers.update(headers_of(json.loads(answer.content)))
        if answer.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(answer.content, answer.status, headers, "application/json")


async def idempotent_write(
    session: SessionDep, request: Request, idempotency_key: IdempotencyKeyHeader = None
) -> IdempotentWrite:
    return IdempotentWrite(session, request.method, request.url.path, idempotency_key)


IdempotentWriteDep = Annotated[IdempotentWrite, Depends(idempotent_write)]
