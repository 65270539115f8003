"""The inventory module's surface for other modules and the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.events import InventoryEvents, StockMoved
from quartermaster.inventory.models import Reservation
from quartermaster.inventory.params import IdempotentWrite, IdempotentWriteDep
from quartermaster.inventory.schemas import ReservationCreate, ReservationRead, ReservationStatus
from quartermaster.inventory.service.idempotency import prune_idempotency_keys
from quartermaster.inventory.service.ledger import (
    LedgerMismatch,
    ledger_mismatches,
    tenants_with_stock,
)
from quartermaster.inventory.service.reservations import (
    create_reservation,
    release_expired_reservations,
    release_reservation,
)


async def available_totals(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """How much of each product is available (on hand less reserved) across the
    organization; products without stock are absent (0). The catalog's ``below_reorder``
    filter asks this for its products with a reorder point."""
    return await repository.available_totals(session, tenant_id, product_ids)


__all__ = [
    "IdempotentWrite",
    "IdempotentWriteDep",  # Idempotency-Key on another module's stock-moving write
    "InventoryEvents",
    "LedgerMismatch",
    "StockMoved",
    "available_totals",
    "ledger_mismatches",
    "prune_idempotency_keys",
    "release_expired_reservations",
    "tenants_with_stock",
]


# For the service desk's RMA flow: stock reserved for a ticket, in the ticket's transaction


@dataclass(frozen=True)
class ReservationRef:
    id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    reference: str
    status: str  # active | fulfilled | released | expired


def _reservation_ref(read: ReservationRead | Reservation) -> ReservationRef:
    status = read.status
    return ReservationRef(
        id=read.id,
        product_id=read.product_id,
        location_id=read.location_id,
        quantity=read.quantity,
        reference=read.reference,
        status=status if isinstance(status, str) else status.value,
    )


async def reserve_stock(
    session: AsyncSession,
    principal: Principal,
    *,
    product_id: uuid.UUID,
    location_id: uuid.UUID,
    quantity: Decimal,
    reference: str,
) -> ReservationRef:
    """Reserve stock as ``POST /stock/reservations`` does (same checks and errors: 422
    ``invalid-movement``, 409 ``insufficient-stock``), in the caller's transaction."""
    result = await create_reservation(
        session,
        principal,
        ReservationCreate(
            product_id=product_id, location_id=location_id, quantity=quantity, reference=reference
        ),
    )
    return _reservation_ref(result)


async def release_stock(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> ReservationRef | None:
    """Release a reservation if it is still active; None when it is not (fulfilled,
    released or expired meanwhile) or unknown."""
    current = await reservations_by_ids(session, principal.tenant_id, [reservation_id])
    found = current.get(reservation_id)
    if found is None or found.status != ReservationStatus.ACTIVE.value:
        return None
    return _reservation_ref(await release_reservation(session, principal, reservation_id))


async def reservations_by_ids(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ReservationRef]:
    """The tenant's reservations among ``ids`` (others' ids are absent)."""
    rows = await repository.reservations_by_ids(session, tenant_id, list(dict.fromkeys(ids)))
    return {row.id: _reservation_ref(row) for row in rows}


__all__ += ["ReservationRef", "release_stock", "reservations_by_ids", "reserve_stock"]
