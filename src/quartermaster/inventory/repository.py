"""Every query of the inventory module. Row-level security scopes all of them; the
explicit tenant filters are there for the planner and for clarity, not as the safety net."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.inventory.models import (
    IdempotencyKey,
    Location,
    StockLevel,
    StockMovement,
    Warehouse,
)

LevelKey = tuple[uuid.UUID, uuid.UUID]  # (product_id, location_id)


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint an INSERT/UPDATE/DELETE violated (asyncpg reports it)."""
    cause = getattr(exc.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)
    return name if isinstance(name, str) else None


# Warehouses


async def warehouse_by_id(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Warehouse | None:
    query = select(Warehouse).where(Warehouse.tenant_id == tenant_id, Warehouse.id == warehouse_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def warehouses_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    is_active: bool | None,
    limit: int,
    after: tuple[str, uuid.UUID] | None,
) -> list[Warehouse]:
    key = func.lower(Warehouse.code)
    query = (
        select(Warehouse)
        .where(Warehouse.tenant_id == tenant_id)
        .order_by(key, Warehouse.id)
        .limit(limit)
    )
    if is_active is not None:
        query = query.where(Warehouse.is_active.is_(is_active))
    if after is not None:
        query = query.where(tuple_(key, Warehouse.id) > tuple_(after[0], after[1]))
    return list((await session.execute(query)).scalars())


async def default_location_ids(
    session: AsyncSession, tenant_id: uuid.UUID, warehouse_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """warehouse id → its default location's id."""
    if not warehouse_ids:
        return {}
    rows = await session.execute(
        select(Location.warehouse_id, Location.id).where(
            Location.tenant_id == tenant_id,
            Location.warehouse_id.in_(list(warehouse_ids)),
            Location.is_default,
        )
    )
    return {row[0]: row[1] for row in rows}


# Locations


async def location_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, location_id: uuid.UUID, *, for_update: bool = False
) -> Location | None:
    query = select(Location).where(Location.tenant_id == tenant_id, Location.id == location_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def locations_with_warehouses(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Location, Warehouse]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Location, Warehouse)
        .join(
            Warehouse,
            (Warehouse.tenant_id == Location.tenant_id) & (Warehouse.id == Location.warehouse_id),
        )
        .where(Location.tenant_id == tenant_id, Location.id.in_(list(dict.fromkeys(ids))))
    )
    return {location.id: (location, warehouse) for location, warehouse in rows}


async def locations_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    warehouse_id: uuid.UUID | None,
    limit: int,
    after: tuple[uuid.UUID, str, uuid.UUID] | None,
) -> list[Location]:
    """Locations by warehouse, then code (case-insensitive)."""
    key = func.lower(Location.code)
    query = (
        select(Location)
        .where(Location.tenant_id == tenant_id)
        .order_by(Location.warehouse_id, key, Location.id)
        .limit(limit)
    )
    if warehouse_id is not None:
        query = query.where(Location.warehouse_id == warehouse_id)
    if after is not None:
        query = query.where(
            tuple_(Location.warehouse_id, key, Location.id) > tuple_(after[0], after[1], after[2])
        )
    return list((await session.execute(query)).scalars())


# Stock levels


async def create_missing_levels(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey], at: datetime
) -> None:
    """Zero rows for (product, location) pairs that have none, in the given (sorted) order;
    rows that exist are left alone (and not locked)."""
    if not keys:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "product_id": product_id,
            "location_id": location_id,
            "on_hand": Decimal(0),
            "reserved": Decimal(0),
            "updated_at": at,
        }
        for product_id, location_id in keys
    ]
    await session.execute(insert(StockLevel).values(rows).on_conflict_do_nothing())


async def lock_levels(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey]
) -> dict[LevelKey, StockLevel]:
    """Lock the level rows of ``keys`` in (product_id, location_id) order — the one order
    every writer uses, so writers touching overlapping rows queue and never deadlock.

    FOR NO KEY UPDATE (what an UPDATE of non-key columns takes) rather than FOR UPDATE: it
    does not block the KEY SHARE locks of foreign-key checks, e.g. a concurrent product
    deletion checking whether levels still reference the product."""
    if not keys:
        return {}
    query = (
        select(StockLevel)
        .where(
            StockLevel.tenant_id == tenant_id,
            tuple_(StockLevel.product_id, StockLevel.location_id).in_(list(keys)),
        )
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    levels = (await session.execute(query)).scalars()
    return {(level.product_id, level.location_id): level for level in levels}


async def set_on_hand(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    values: Sequence[tuple[LevelKey, Decimal]],
    at: datetime,
) -> None:
    """New on_hand values for rows this transaction has locked."""
    for (product_id, location_id), on_hand in values:
        await session.execute(
            update(StockLevel)
            .where(
                StockLevel.tenant_id == tenant_id,
                StockLevel.product_id == product_id,
                StockLevel.location_id == location_id,
            )
            .values(on_hand=on_hand, updated_at=at)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class LevelFilter:
    product_id: uuid.UUID | None = None
    warehouse_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None


def _level_query(columns: Sequence[Any], tenant_id: uuid.UUID, where: LevelFilter) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(StockLevel)
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .where(StockLevel.tenant_id == tenant_id)
    )
    if where.product_id is not None:
        query = query.where(StockLevel.product_id == where.product_id)
    if where.location_id is not None:
        query = query.where(StockLevel.location_id == where.location_id)
    if where.warehouse_id is not None:
        query = query.where(Location.warehouse_id == where.warehouse_id)
    return query


async def levels_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: LevelFilter,
    *,
    limit: int,
    after: LevelKey | None,
) -> list[tuple[StockLevel, uuid.UUID]]:
    """(level, warehouse id) ordered by (product_id, location_id)."""
    query = (
        _level_query([StockLevel, Location.warehouse_id], tenant_id, where)
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            tuple_(StockLevel.product_id, StockLevel.location_id) > tuple_(after[0], after[1])
        )
    rows = await session.execute(query)
    return [(level, warehouse_id) for level, warehouse_id in rows]


async def levels_of(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[LevelKey]
) -> list[tuple[StockLevel, uuid.UUID]]:
    if not keys:
        return []
    query = (
        _level_query([StockLevel, Location.warehouse_id], tenant_id, LevelFilter())
        .where(tuple_(StockLevel.product_id, StockLevel.location_id).in_(list(keys)))
        .order_by(StockLevel.product_id, StockLevel.location_id)
    )
    rows = await session.execute(query)
    return [(level, warehouse_id) for level, warehouse_id in rows]


@dataclass(frozen=True)
class Totals:
    product_id: uuid.UUID
    warehouse_id: uuid.UUID | None
    on_hand: Decimal
    reserved: Decimal


async def level_totals_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    where: LevelFilter,
    *,
    by_warehouse: bool,
    limit: int,
    after: tuple[uuid.UUID, uuid.UUID | None] | None,
) -> list[Totals]:
    """Sums per product, or per (product, warehouse), in key order."""
    keys: list[Any] = [StockLevel.product_id]
    if by_warehouse:
        keys.append(Location.warehouse_id)
    grouped = (
        _level_query(
            [
                *keys,
                func.sum(StockLevel.on_hand).label("on_hand"),
                func.sum(StockLevel.reserved).label("reserved"),
            ],
            tenant_id,
            where,
        )
        .group_by(*keys)
        .subquery()
    )
    key_columns = [grouped.c.product_id] + ([grouped.c.warehouse_id] if by_warehouse else [])
    query = select(grouped).order_by(*key_columns).limit(limit)
    if after is not None:
        if by_warehouse:
            query = query.where(tuple_(*key_columns) > tuple_(after[0], after[1]))
        else:
            query = query.where(grouped.c.product_id > after[0])
    rows = (await session.execute(query)).mappings()
    return [
        Totals(
            product_id=row["product_id"],
            warehouse_id=row["warehouse_id"] if by_warehouse else None,
            on_hand=row["on_hand"],
            reserved=row["reserved"],
        )
        for row in rows
    ]


async def product_stock(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID
) -> list[tuple[StockLevel, Location, Warehouse]]:
    """Every level row of one product with its location and warehouse."""
    rows = await session.execute(
        select(StockLevel, Location, Warehouse)
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .join(
            Warehouse,
            (Warehouse.tenant_id == Location.tenant_id) & (Warehouse.id == Location.warehouse_id),
        )
        .where(StockLevel.tenant_id == tenant_id, StockLevel.product_id == product_id)
        .order_by(func.lower(Warehouse.code), Warehouse.id, func.lower(Location.code), Location.id)
    )
    return [(level, location, warehouse) for level, location, warehouse in rows]


# The ledger


async def append_movements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(StockMovement), list(rows))


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
    before: tuple[datetime, uuid.UUID] | None,
) -> list[StockMovement]:
    """Newest first: ordered by (recorded_at, id) descending."""
    query = (
        select(StockMovement)
        .where(*_movement_conditions(tenant_id, where))
        .order_by(StockMovement.recorded_at.desc(), StockMovement.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(
            tuple_(StockMovement.recorded_at, StockMovement.id)
            < tuple_(
                literal(before[0], type_=StockMovement.recorded_at.type),
                literal(before[1], type_=StockMovement.id.type),
            )
        )
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


# Idempotency keys


async def claim_idempotency_key(
    session: AsyncSession, tenant_id: uuid.UUID, key: str, request_hash: str, at: datetime
) -> bool:
    """Insert the key; False when it exists. A concurrent transaction holding the same
    uncommitted key makes this wait until that one commits (then False) or rolls back
    (then True): duplicates run one at a time."""
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(tenant_id=tenant_id, key=key, request_hash=request_hash, created_at=at)
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(IdempotencyKey.key)
    )
    return inserted.first() is not None


async def idempotency_key(
    session: AsyncSession, tenant_id: uuid.UUID, key: str
) -> IdempotencyKey | None:
    return (
        await session.execute(
            select(IdempotencyKey)
            .where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def store_idempotent_response(
    session: AsyncSession, tenant_id: uuid.UUID, key: str, status: int, body: Any
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key)
        .values(response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


async def delete_idempotency_keys_before(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
