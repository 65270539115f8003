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

from quartermaster.core.clock import utcnow
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import FieldProblem, InvalidMovement
from quartermaster.inventory.repository import LevelKey
from quartermaster.inventory.schemas import CountLine, CountLineRead, CountRead, CountRequest
from quartermaster.inventory.service.movements import LedgerEntry, decimals_of, post_ledger
from quartermaster.inventory.service.references import (
    PlaceAsked,
    ProductAsked,
    in_line_order,
    resolve,
)

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
    place = PlaceAsked(
        "", "", request.location_id, request.warehouse_code, request.location_code, True
    )
    resolved = await resolve(
        session,
        tenant_id,
        [
            ProductAsked(f"lines.{index}.", line.product_id, line.sku, line.barcode)
            for index, line in enumerate(request.lines)
        ],
        [place],
    )
    products, places = resolved.products, resolved.places
    problems: list[FieldProblem] = []
    if request.counted_at > now:
        problems.append(FieldProblem("counted_at", "Must not be in the future.", "in_the_future"))
    seen: set[uuid.UUID] = set()
    for index, (line, product_id) in enumerate(
        zip(request.lines, resolved.product_ids, strict=True)
    ):
        product = products.get(product_id) if product_id is not None else None
        if product_id is not None and product_id in seen:
            problems.append(
                FieldProblem(
                    f"lines.{index}.{_named_by(line)}", "Counted twice in one count.", "duplicate"
                )
            )
        if product_id is not None:
            seen.add(product_id)
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
    problems = resolved.problems + problems
    if problems:
        raise InvalidMovement(in_line_order(problems))
    (location_id,) = resolved.location_ids
    assert location_id is not None  # else a problem was listed
    product_ids = [product_id for product_id in resolved.product_ids if product_id is not None]
    location = places[location_id]

    keys: list[LevelKey] = sorted((product_id, location_id) for product_id in product_ids)
    # The ledger writer's lock, taken before summing; post_ledger takes it again (held).
    await repository.create_missing_levels(session, tenant_id, keys, now)
    await repository.lock_levels(session, tenant_id, keys)
    as_of = await repository.ledger_on_hand_as_of(
        session, tenant_id, location_id, product_ids, request.counted_at
    )
    # Before this count's own lines are written: what moved here since it was taken.
    since = await repository.movements_since(session, tenant_id, location_id, request.counted_at)

    entries: list[LedgerEntry] = []
    adjustments: list[tuple[Decimal, Decimal, int | None]] = []
    for line, product_id in zip(request.lines, product_ids, strict=True):
        before = as_of.get(product_id, Decimal(0))
        adjustment = line.counted_quantity - before
        position: int | None = None
        if adjustment != 0:
            position = len(entries)
            entries.append(
                LedgerEntry(
                    kind="count",
                    product_id=product_id,
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
        location_code=location.code,
        warehouse_code=location.warehouse_code,
        counted_at=request.counted_at,
        recorded_at=now,
        movements_since_count=sum(since.values()),
        batch_id=batch.id if batch else None,
        lines=[
            CountLineRead(
                product_id=product_id,
                sku=products[product_id].sku,
                product_name=products[product_id].name,
                counted_quantity=line.counted_quantity,
                on_hand_as_of=before,
                movements_since_count=since.get(product_id, 0),
                adjustment=adjustment,
                movement_id=batch.lines[position].id if batch and position is not None else None,
            )
            for line, product_id, (before, adjustment, position) in zip(
                request.lines, product_ids, adjustments, strict=True
            )
        ],
        levels=batch.levels if batch else [],
    )


def _named_by(line: CountLine) -> str:
    return "product_id" if line.product_id else "sku" if line.sku else "barcode"
