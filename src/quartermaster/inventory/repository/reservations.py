"""Queries on reservations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import keyset
from quartermaster.inventory.models import (
    Reservation,
)

# Reservations


async def reservation_by_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    reservation_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Reservation | None:
    query = select(Reservation).where(
        Reservation.tenant_id == tenant_id, Reservation.id == reservation_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def reservations_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    product_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
    limit: int,
    after: Sequence[Any] | None,
) -> list[Reservation]:
    """Newest first (ids are time-ordered UUIDv7s): the key is ``(id,)``."""
    query = select(Reservation).where(Reservation.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Reservation.status == status)
    if product_id is not None:
        query = query.where(Reservation.product_id == product_id)
    if location_id is not None:
        query = query.where(Reservation.location_id == location_id)
    query = keyset(query, [Reservation.id], after, limit=limit, descending=True)
    return list((await session.execute(query)).scalars())


async def lock_expired_reservations(
    session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> list[Reservation]:
    """Active reservations whose expiry has passed, locked in id order; rows another
    transaction is fulfilling or releasing right now are skipped (they are not active by
    the time it commits, or the next run gets them)."""
    query = (
        select(Reservation)
        .where(
            Reservation.tenant_id == tenant_id,
            Reservation.status == "active",
            Reservation.expires_at.is_not(None),
            Reservation.expires_at <= now,
        )
        .order_by(Reservation.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def reservations_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[Reservation]:
    query = select(Reservation).where(Reservation.tenant_id == tenant_id, Reservation.id.in_(ids))
    return list((await session.execute(query)).scalars())
