"""Offline-safe stock counts.

A count taken on a scanner at 10:00 and synced at 14:00 must not erase what the ledger
recorded in between. Each line is compared with the ledger *as of* ``counted_at``; the
difference is applied now, as a ``count`` movement, so later movements stay counted. The
level rows are locked (the ledger writer's lock, same order) before the ledger is summed,
so no movement of those rows commits between the sum and the adjustment."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import products_by_ids
from quartermaster.core.clock import utcnow
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import FieldProblem, InvalidMovement
from quartermaster.inventory.repository import LevelKey
from quartermaster.inventory.schemas import CountLineRead, CountRead, CountRequest
from quartermaster.inventory.service.movements import LedgerEntry, decimals_of, post_ledger

COUNT_REASON = "stock count"


async def record_count(
    session: AsyncSession, principal: Principal, request: CountRequest
) -> CountRead:
    """Apply a stock count atomically: for each line ``adjustment = counted_quantity -
    on_hand as of counted_at`` (from the ledger); the non-zero ones are written now as one
    batch of ``count`` movements through the locked ledger write (a decrease beyond what is
    available is 409 ``insufficient-stock``, as for adjustments). Lines that match the
    ledger move nothing."""
    tenant_id = principal.tenant_id
    now = utcnow()
    product_ids = [line.product_id for line in request.lines]
    products = await products_by_ids(session, tenant_id, product_ids)
    places = await repository.locations_with_warehouses(session, tenant_id, [request.location_id])
    problems: list[FieldProblem] = []
    if request.location_id not in places:
        problems.append(
            FieldProblem(
                "location_id", "No location with this id in this organization.", "unknown_location"
            )
        )
    if request.counted_at > now:
        problems.append(FieldProblem("counted_at", "Must not be in the future.", "in_the_future"))
    seen: set[uuid.UUID] = set()
    for index, line in enumerate(request.lines):
        product = products.get(line.product_id)
        if product is None:
            problems.append(
                FieldProblem(
                    f"lines.{index}.product_id",
                    "No product with this id in this organization.",
                    "unknown_product",
                )
            )
        elif line.product_id in seen:
            problems.append(
                FieldProblem(
                    f"lines.{index}.product_id", "Counted twice in one count.", "duplicate"
                )
            )
        seen.add(line.product_id)
        if line.counted_quantity < 0:
            problems.append(
                FieldProblem(
                    f"lines.{index}.counted_quantity", "Must not be negative.", "quantity_negative"
                )
            )
        elif product is not None and decimals_of(line.counted_quantity) > product.unit_decimals:
            problems.append(
                FieldProblem(
                    f"lines.{index}.counted_quantity",
                    f"At most {product.unit_decimals} decimal places in unit '{product.unit}'.",
                    "too_many_decimals",
                )
            )
    if problems:
        raise InvalidMovement(problems)

    location_id = request.location_id
    keys: list[LevelKey] = sorted((product_id, location_id) for product_id in product_ids)
    # The ledger writer's lock, taken before summing; post_ledger takes it again (held).
    await repository.create_missing_levels(session, tenant_id, keys, now)
    await repository.lock_levels(session, tenant_id, keys)
    as_of = await repository.ledger_on_hand_as_of(
        session, tenant_id, location_id, product_ids, request.counted_at
    )

    entries: list[LedgerEntry] = []
    adjustments: list[tuple[Decimal, Decimal, int | None]] = []
    for line in request.lines:
        before = as_of.get(line.product_id, Decimal(0))
        adjustment = line.counted_quantity - before
        position: int | None = None
        if adjustment != 0:
            position = len(entries)
            entries.append(
                LedgerEntry(
                    kind="count",
                    product_id=line.product_id,
                    from_location_id=location_id if adjustment < 0 else None,
                    to_location_id=location_id if adjustment > 0 else None,
                    quantity=abs(adjustment),
                    reason=COUNT_REASON,
                )
            )
        adjustments.append((before, adjustment, position))

    batch = None
    if entries:
        batch = await post_ledger(
            session,
            principal,
            entries,
            products,
            places,
            now,
            reference=request.reference,
            note=request.note,
        )
    return CountRead(
        location_id=location_id,
        counted_at=request.counted_at,
        recorded_at=now,
        batch_id=batch.id if batch else None,
        lines=[
            CountLineRead(
                product_id=line.product_id,
                counted_quantity=line.counted_quantity,
                on_hand_as_of=before,
                adjustment=adjustment,
                movement_id=batch.lines[position].id if batch and position is not None else None,
            )
            for line, (before, adjustment, position) in zip(request.lines, adjustments, strict=True)
        ],
        levels=batch.levels if batch else [],
    )
