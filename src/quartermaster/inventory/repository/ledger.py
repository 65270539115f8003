"""Queries on the append-only ledger: appends, history, reconciliation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.pagination import keyset
from quartermaster.inventory.models import (
    Location,
    StockLevel,
    StockMovement,
)

# The ledger


@dataclass(frozen=True)
class MovementFilter:
    product_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    warehouse_id: uuid.UUID | None = None
    kind: str | None = None
    reference: str | None = None
    batch_id: uuid.UUID | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


def _movement_conditions(tenant_id: uuid.UUID, where: MovementFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [StockMovement.tenant_id == tenant_id]
    if where.product_id is not None:
        conditions.append(StockMovement.product_id == where.product_id)
    if where.location_id is not None:
        conditions.append(
            or_(
                StockMovement.from_location_id == where.location_id,
                StockMovement.to_location_id == where.location_id,
            )
        )
    if where.warehouse_id is not None:
        in_warehouse = select(Location.id).where(
            Location.tenant_id == tenant_id, Location.warehouse_id == where.warehouse_id
        )
        conditions.append(
            or_(
                StockMovement.from_location_id.in_(in_warehouse),
                StockMovement.to_location_id.in_(in_warehouse),
            )
        )
    if where.kind is not None:
        conditions.append(StockMovement.kind == where.kind)
    if where.reference is not None:
        conditions.append(StockMovement.reference == where.reference)
    if where.batch_id is not None:
        conditions.append(StockMovement.batch_id == where.batch_id)
    if where.recorded_from is not None:
        conditions.append(StockMovement.recorded_at >= where.recorded_from)
    if where.recorded_to is not None:
        conditions.append(StockMovement.recorded_at < where.recorded_to)
    return conditions


async def movements_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: MovementFilter,
    *,
    limit: int,
    after: Sequence[Any] | None,
) -> list[StockMovement]:
    """Newest first: the key is ``(recorded_at, id)``, descending."""
    query = select(StockMovement).where(*_movement_conditions(tenant_id, where))
    key = [StockMovement.recorded_at, StockMovement.id]
    query = keyset(query, key, after, limit=limit, descending=True)
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class LedgerMismatch:
    """A (product, location) whose stored level differs from the sum of its ledger."""

    tenant_id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    ledger_quantity: Decimal
    level_quantity: Decimal


async def ledger_mismatches(session: AsyncSession, tenant_id: uuid.UUID) -> list[LedgerMismatch]:
    """Recompute every level of the tenant from the ledger and compare with stock_levels."""
    flows = union_all(
        select(
            StockMovement.product_id.label("product_id"),
            StockMovement.to_location_id.label("location_id"),
            StockMovement.quantity.label("delta"),
        ).where(StockMovement.tenant_id == tenant_id, StockMovement.to_location_id.is_not(None)),
        select(
            StockMovement.product_id.label("product_id"),
            StockMovement.from_location_id.label("location_id"),
            (-StockMovement.quantity).label("delta"),
        ).where(StockMovement.tenant_id == tenant_id, StockMovement.from_location_id.is_not(None)),
    ).subquery()
    sums = (
        select(flows.c.product_id, flows.c.location_id, func.sum(flows.c.delta).label("total"))
        .group_by(flows.c.product_id, flows.c.location_id)
        .subquery()
    )
    levels = (
        select(StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand)
        .where(StockLevel.tenant_id == tenant_id)
        .subquery()
    )
    joined = sums.join(
        levels,
        and_(sums.c.product_id == levels.c.product_id, sums.c.location_id == levels.c.location_id),
        full=True,
    )
    ledger = func.coalesce(sums.c.total, 0)
    level = func.coalesce(levels.c.on_hand, 0)
    rows = await session.execute(
        select(
            func.coalesce(sums.c.product_id, levels.c.product_id).label("product_id"),
            func.coalesce(sums.c.location_id, levels.c.location_id).label("location_id"),
            ledger.label("ledger"),
            level.label("level"),
        )
        .select_from(joined)
        .where(ledger != level)
        .order_by("product_id", "location_id")
    )
    return [
        LedgerMismatch(tenant_id, row.product_id, row.location_id, row.ledger, row.level)
        for row in rows
    ]


async def tenants_with_stock(session: AsyncSession) -> list[uuid.UUID]:
    """Tenants that have levels or movements. Under RLS this sees only the current tenant;
    `qm check-ledger --all` runs it on a connection that bypasses RLS (a superuser)."""
    query = union_all(
        select(StockLevel.tenant_id).distinct(), select(StockMovement.tenant_id).distinct()
    ).subquery()
    rows = await session.execute(select(query.c.tenant_id).distinct().order_by(query.c.tenant_id))
    return list(rows.scalars())
