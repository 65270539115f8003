"""Reservations: stock held at a location for a reference, counted in the level's
``reserved`` so ``available`` (on_hand - reserved) excludes it.

Every change goes through the ledger writer's locked level write (movements.change_levels
and movements.post_ledger); the reservation row itself is locked first (FOR UPDATE), so a
reservation is fulfilled or released once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef, products_by_ids
from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.core.pagination import Page, PageParams
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import (
    FieldProblem,
    InvalidMovement,
    ReservationNotActive,
    ReservationNotFound,
)
from quartermaster.inventory.events import InventoryEvents, NewLevel, ReservationChanged
from quartermaster.inventory.models import Reservation
from quartermaster.inventory.repository import LevelKey, Place
from quartermaster.inventory.schemas import (
    LevelRead,
    ReservationCreate,
    ReservationFulfil,
    ReservationRead,
    ReservationResult,
    ReservationStatus,
)
from quartermaster.inventory.service.labels import labels_for
from quartermaster.inventory.service.movements import (
    LedgerEntry,
    LevelChange,
    change_levels,
    decimals_of,
    post_ledger,
)
from quartermaster.inventory.service.references import PlaceAsked, ProductAsked, resolve


def open_quantity(reservation: Reservation) -> Decimal:
    """What the reservation still holds in the level's ``reserved``."""
    if reservation.status != ReservationStatus.ACTIVE.value:
        return Decimal(0)
    return reservation.quantity - reservation.fulfilled_quantity


def reservation_read(
    reservation: Reservation, product: ProductRef, place: Place
) -> ReservationRead:
    return ReservationRead(
        id=reservation.id,
        product_id=reservation.product_id,
        sku=product.sku,
        product_name=product.name,
        location_id=reservation.location_id,
        location_code=place.code,
        warehouse_code=place.warehouse_code,
        quantity=reservation.quantity,
        fulfilled_quantity=reservation.fulfilled_quantity,
        open_quantity=open_quantity(reservation),
        reference=reservation.reference,
        status=ReservationStatus(reservation.status),
        expires_at=reservation.expires_at,
        created_by=reservation.created_by,
        created_at=reservation.created_at,
        updated_at=reservation.updated_at,
    )


def _result(
    reservation: Reservation,
    product: ProductRef,
    place: Place,
    level: LevelRead,
    batch_id: uuid.UUID | None = None,
) -> ReservationResult:
    return ReservationResult(
        **reservation_read(reservation, product, place).model_dump(),
        level=level,
        batch_id=batch_id,
    )


async def _reads(
    session: AsyncSession, tenant_id: uuid.UUID, reservations: list[Reservation]
) -> list[ReservationRead]:
    labels = await labels_for(
        session,
        tenant_id,
        product_ids=[r.product_id for r in reservations],
        location_ids=[r.location_id for r in reservations],
    )
    return [
        reservation_read(r, labels.products[r.product_id], labels.places[r.location_id])
        for r in reservations
    ]


async def _emit(
    session: AsyncSession,
    event_type: str,
    reservation: Reservation,
    level: LevelRead,
    batch_id: uuid.UUID | None = None,
) -> None:
    await emit(
        session,
        reservation.tenant_id,
        event_type,
        ReservationChanged(
            id=reservation.id,
            product_id=reservation.product_id,
            location_id=reservation.location_id,
            quantity=reservation.quantity,
            fulfilled_quantity=reservation.fulfilled_quantity,
            open_quantity=open_quantity(reservation),
            reference=reservation.reference,
            status=reservation.status,
            expires_at=reservation.expires_at,
            batch_id=batch_id,
            level=NewLevel(
                product_id=level.product_id,
                location_id=level.location_id,
                warehouse_id=level.warehouse_id,
                on_hand=level.on_hand,
                reserved=level.reserved,
                available=level.available,
            ),
        ),
    )


def _check(
    data: ReservationCreate, product: ProductRef | None, now: datetime
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if data.quantity <= 0:
        problems.append(
            FieldProblem("quantity", "Must be greater than 0.", "quantity_not_positive")
        )
    elif product is not None and decimals_of(data.quantity) > product.unit_decimals:
        problems.append(
            FieldProblem(
                "quantity",
                f"At most {product.unit_decimals} decimal places in unit '{product.unit}'.",
                "too_many_decimals",
            )
        )
    if data.expires_at is not None and data.expires_at <= now:
        problems.append(FieldProblem("expires_at", "Must be in the future.", "in_the_past"))
    return problems


async def create_reservation(
    session: AsyncSession, principal: Principal, data: ReservationCreate
) -> ReservationResult:
    """Reserve stock: 422 for what cannot be reserved as written (an unknown product or
    location, by id or by code, names the field), 409 ``insufficient-stock`` when less is
    available at a location that does not allow negative stock (nothing written). Emits
    ``inventory.reservation.created``."""
    tenant_id = principal.tenant_id
    resolved = await resolve(
        session,
        tenant_id,
        [ProductAsked("", data.product_id, data.sku, data.barcode)],
        [PlaceAsked("", "", data.location_id, data.warehouse_code, data.location_code, True)],
    )
    products, places = resolved.products, resolved.places
    (product_id,), (location_id,) = resolved.product_ids, resolved.location_ids
    now = utcnow()
    problems = resolved.problems + _check(
        data, products.get(product_id) if product_id else None, now
    )
    if problems:
        raise InvalidMovement(problems)
    # Both resolved, or a problem was listed.
    assert product_id is not None
    assert location_id is not None
    key: LevelKey = (product_id, location_id)
    (level,) = await change_levels(
        session, tenant_id, {key: LevelChange(reserved=data.quantity)}, products, places, now
    )
    reservation = Reservation(
        id=new_id(),
        tenant_id=tenant_id,
        product_id=product_id,
        location_id=location_id,
        quantity=data.quantity,
        fulfilled_quantity=Decimal(0),
        reference=data.reference,
        status=ReservationStatus.ACTIVE.value,
        expires_at=data.expires_at,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, reservation)
    await session.flush()
    await _emit(session, InventoryEvents.RESERVATION_CREATED, reservation, level)
    return _result(reservation, products[product_id], places[location_id], level)


async def _active_for_update(
    session: AsyncSession, tenant_id: uuid.UUID, reservation_id: uuid.UUID
) -> Reservation:
    reservation = await repository.reservation_by_id(
        session, tenant_id, reservation_id, for_update=True
    )
    if reservation is None:
        raise ReservationNotFound
    if reservation.status != ReservationStatus.ACTIVE.value:
        raise ReservationNotActive(reservation.status)
    return reservation


def _fulfil_problems(
    reservation: Reservation, product: ProductRef, quantity: Decimal
) -> list[FieldProblem]:
    still_open = open_quantity(reservation)
    if quantity <= 0:
        return [FieldProblem("quantity", "Must be greater than 0.", "quantity_not_positive")]
    if decimals_of(quantity) > product.unit_decimals:
        return [
            FieldProblem(
                "quantity",
                f"At most {product.unit_decimals} decimal places in unit '{product.unit}'.",
                "too_many_decimals",
            )
        ]
    if quantity > still_open:
        return [
            FieldProblem(
                "quantity",
                f"Only {still_open} of this reservation is still open "
                f"({reservation.fulfilled_quantity} of {reservation.quantity} fulfilled).",
                "exceeds_open_quantity",
            )
        ]
    return []


async def fulfil_reservation(
    session: AsyncSession,
    principal: Principal,
    reservation_id: uuid.UUID,
    data: ReservationFulfil | None = None,
) -> ReservationResult:
    """Turn all of an active reservation's open quantity, or ``data.quantity`` of it, into
    an issue, atomically: one ledger row of kind ``fulfilment`` from its location, on_hand
    and reserved both down by that quantity. What is left stays reserved (the reservation
    stays ``active``); once nothing is left it is ``fulfilled``. A quantity above what is
    open is 422. Emits ``inventory.stock.moved`` and ``inventory.reservation.fulfilled``."""
    tenant_id = principal.tenant_id
    reservation = await _active_for_update(session, tenant_id, reservation_id)
    products = await products_by_ids(session, tenant_id, [reservation.product_id])
    quantity = open_quantity(reservation)
    if data is not None and data.quantity is not None:
        quantity = data.quantity
        problems = _fulfil_problems(reservation, products[reservation.product_id], quantity)
        if problems:
            raise InvalidMovement(problems)
    places = await repository.locations_with_warehouses(
        session, tenant_id, [reservation.location_id]
    )
    now = utcnow()
    key: LevelKey = (reservation.product_id, reservation.location_id)
    batch = await post_ledger(
        session,
        principal,
        [
            LedgerEntry(
                kind="fulfilment",
                product_id=reservation.product_id,
                from_location_id=reservation.location_id,
                to_location_id=None,
                quantity=quantity,
            )
        ],
        products,
        places,
        now,
        reference=reservation.reference,
        note=None,
        extra={key: LevelChange(reserved=-quantity)},
    )
    reservation.fulfilled_quantity += quantity
    if reservation.fulfilled_quantity == reservation.quantity:
        reservation.status = ReservationStatus.FULFILLED.value
    reservation.updated_at = now
    await session.flush()
    (level,) = batch.levels
    await _emit(session, InventoryEvents.RESERVATION_FULFILLED, reservation, level, batch.id)
    return _result(
        reservation,
        products[reservation.product_id],
        places[reservation.location_id],
        level,
        batch.id,
    )


async def release_reservation(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationResult:
    """Give an active reservation's open quantity back (reserved down; what a partial
    fulfilment issued stays issued). Emits ``inventory.reservation.released``."""
    tenant_id = principal.tenant_id
    reservation = await _active_for_update(session, tenant_id, reservation_id)
    products = await products_by_ids(session, tenant_id, [reservation.product_id])
    places = await repository.locations_with_warehouses(
        session, tenant_id, [reservation.location_id]
    )
    now = utcnow()
    key: LevelKey = (reservation.product_id, reservation.location_id)
    (level,) = await change_levels(
        session,
        tenant_id,
        {key: LevelChange(reserved=-open_quantity(reservation))},
        products,
        places,
        now,
    )
    reservation.status = ReservationStatus.RELEASED.value
    reservation.updated_at = now
    await session.flush()
    await _emit(session, InventoryEvents.RESERVATION_RELEASED, reservation, level)
    return _result(
        reservation, products[reservation.product_id], places[reservation.location_id], level
    )


async def release_expired_reservations(
    session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> int:
    """Release every active reservation of the tenant whose ``expires_at`` is at or before
    ``now``: status ``expired``, reserved given back, one ``inventory.reservation.released``
    event each. All of them go through one locked level write (rows in the fixed order).
    The session must be scoped to the tenant; returns how many were released."""
    expired = await repository.lock_expired_reservations(session, tenant_id, now)
    if not expired:
        return 0
    changes: dict[LevelKey, LevelChange] = defaultdict(LevelChange)
    for reservation in expired:
        changes[(reservation.product_id, reservation.location_id)] += LevelChange(
            reserved=-open_quantity(reservation)
        )
    products = await products_by_ids(session, tenant_id, [r.product_id for r in expired])
    places = await repository.locations_with_warehouses(
        session, tenant_id, [r.location_id for r in expired]
    )
    at = utcnow()
    level_reads = await change_levels(session, tenant_id, dict(changes), products, places, at)
    levels = {(level.product_id, level.location_id): level for level in level_reads}
    for reservation in expired:
        reservation.status = ReservationStatus.EXPIRED.value
        reservation.updated_at = at
    await session.flush()
    for reservation in expired:
        key = (reservation.product_id, reservation.location_id)
        await _emit(session, InventoryEvents.RESERVATION_RELEASED, reservation, levels[key])
    return len(expired)


async def get_reservation(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRead:
    reservation = await repository.reservation_by_id(session, principal.tenant_id, reservation_id)
    if reservation is None:
        raise ReservationNotFound
    (read,) = await _reads(session, principal.tenant_id, [reservation])
    return read


async def list_reservations(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: ReservationStatus | None,
    product_id: uuid.UUID | None,
    location_id: uuid.UUID | None,
) -> Page[ReservationRead]:
    rows, next_cursor = page.next_page(
        await repository.reservations_page(
            session,
            principal.tenant_id,
            status=status.value if status else None,
            product_id=product_id,
            location_id=location_id,
            limit=page.fetch,
            after=page.after(uuid.UUID),
        ),
        lambda reservation: [reservation.id],
    )
    return Page[ReservationRead](
        items=await _reads(session, principal.tenant_id, rows), next_cursor=next_cursor
    )
