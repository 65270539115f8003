"""Valuation: the moving-average unit cost per product, kept by the ledger writer, and the
stock-value report.

The moving average: a receipt of ``q`` at unit cost ``c`` while the organization holds
``n`` of the product at average ``a`` makes the average ``(max(n, 0)·a + q·c) /
(max(n, 0) + q)``; with nothing (or less than nothing) on hand, or no average yet, it
becomes ``c``. Issues, transfers, adjustments, counts and receipts without a unit cost
leave it as it is. Averages keep full precision; only reports round.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import MAX_PREC, ROUND_HALF_UP, Decimal, localcontext
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import (
    ProductRef,
    categories_by_ids,
    default_currency,
    products_by_ids,
)
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.repository import LevelKey, StockValueRow
from quartermaster.inventory.schemas_reports import (
    CategoryValue,
    StockValueByCategory,
    StockValueByWarehouse,
    StockValueGrouping,
    ValueTotals,
    WarehouseValue,
)


# What valuation reads of the ledger writer's lines and net changes (movements.LedgerEntry
# and LevelChange have these): structural types, so this module does not import the
# writer that calls it.
class LedgerLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def product_id(self) -> uuid.UUID: ...
    @property
    def from_location_id(self) -> uuid.UUID | None: ...
    @property
    def to_location_id(self) -> uuid.UUID | None: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_cost(self) -> Decimal | None: ...


class NetChange(Protocol):
    @property
    def on_hand(self) -> Decimal: ...


CENT = Decimal("0.01")


def moving_average(
    average: Decimal | None, on_hand: Decimal, quantity: Decimal, unit_cost: Decimal
) -> Decimal:
    """The average after receiving ``quantity`` at ``unit_cost`` with ``on_hand`` (before
    the receipt, across the organization) valued at ``average`` (None: no cost yet)."""
    if average is None or on_hand <= 0:
        return unit_cost
    return (on_hand * average + quantity * unit_cost) / (on_hand + quantity)


def _on_hand_effect(entry: LedgerLine) -> Decimal:
    """What a ledger line does to the organization's on_hand of its product (a transfer
    moves stock inside it: nothing)."""
    if entry.to_location_id is not None and entry.from_location_id is None:
        return entry.quantity
    if entry.from_location_id is not None and entry.to_location_id is None:
        return -entry.quantity
    return Decimal(0)


async def fold_receipt_costs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    entries: Sequence[LedgerLine],
    changes: Mapping[LevelKey, NetChange],
    now: datetime,
) -> None:
    """Fold every receipt with a ``unit_cost`` of a batch into its product's moving average.

    Called by the ledger writer after its level rows are locked and written. The cost
    rows are locked FOR UPDATE in product_id order (after the level locks, as by every
    writer, so no cycle can form), which serializes concurrent costed receipts of one
    product even at different locations. The on_hand before the batch is the total the
    transaction now sees (committed by others before the lock was granted, plus this
    batch's own writes) minus this batch's net change; the batch's lines are then
    replayed in order, so an issue listed before a receipt counts as gone before it."""
    costed = [e for e in entries if e.kind == "receipt" and e.unit_cost is not None]
    if not costed:
        return
    product_ids = sorted({entry.product_id for entry in costed})
    averages = await repository.lock_product_costs(session, tenant_id, product_ids, now)
    totals = await repository.on_hand_totals(session, tenant_id, product_ids)
    on_hand = {product_id: totals.get(product_id, Decimal(0)) for product_id in product_ids}
    for (product_id, _), change in changes.items():
        if product_id in on_hand:
            on_hand[product_id] -= change.on_hand
    for entry in entries:
        product_id = entry.product_id
        if product_id not in on_hand:
            continue
        if entry.kind == "receipt" and entry.unit_cost is not None:
            averages[product_id] = moving_average(
                averages[product_id], on_hand[product_id], entry.quantity, entry.unit_cost
            )
        on_hand[product_id] += _on_hand_effect(entry)
    await repository.set_product_costs(
        session,
        tenant_id,
        {product_id: average for product_id, average in averages.items() if average is not None},
        now,
    )


# The stock-value report


def money(value: Decimal) -> Decimal:
    """Two places, half up (commercial rounding: 0.125 → 0.13, -0.125 → -0.13)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _by_category(
    by_product: Sequence[StockValueRow], products: Mapping[uuid.UUID, ProductRef]
) -> list[StockValueRow]:
    """The per-product rows summed per the catalog's category of each product (``key``
    None: products without a category), exactly (additions only, at unbounded precision,
    as PostgreSQL's numeric sums would be)."""
    sums: dict[uuid.UUID | None, tuple[Decimal, Decimal, Decimal]] = {}
    with localcontext(prec=MAX_PREC):
        for row in by_product:
            product = products.get(row.key) if row.key is not None else None
            if product is None:
                continue
            quantity, value, unvalued = sums.get(
                product.category_id, (Decimal(0), Decimal(0), Decimal(0))
            )
            sums[product.category_id] = (
                quantity + row.quantity,
                value + row.value,
                unvalued + row.unvalued_quantity,
            )
    return [
        StockValueRow(key=key, quantity=quantity, value=value, unvalued_quantity=unvalued)
        for key, (quantity, value, unvalued) in sums.items()
    ]


def _totals(rows: Sequence[StockValueRow]) -> ValueTotals:
    return ValueTotals(
        quantity=sum((row.quantity for row in rows), Decimal(0)),
        value=money(sum((row.value for row in rows), Decimal(0))),
        unvalued_quantity=sum((row.unvalued_quantity for row in rows), Decimal(0)),
    )


async def stock_value(
    session: AsyncSession,
    principal: Principal,
    group_by: StockValueGrouping,
    warehouse_id: uuid.UUID | None,
) -> StockValueByWarehouse | StockValueByCategory:
    """Σ on_hand and Σ on_hand * moving-average cost per warehouse or per category, in
    the currency of the tenant's default price list. Each value is rounded from its exact
    sum, the total too (so the groups may differ from the total by rounding)."""
    tenant_id = principal.tenant_id
    currency = await default_currency(session, tenant_id)
    if group_by is StockValueGrouping.WAREHOUSE:
        by_warehouse = await repository.stock_value_by_warehouse(session, tenant_id, warehouse_id)
        return StockValueByWarehouse(
            currency=currency,
            groups=[
                WarehouseValue(
                    warehouse_id=warehouse.id,
                    code=warehouse.code,
                    name=warehouse.name,
                    quantity=row.quantity,
                    value=money(row.value),
                    unvalued_quantity=row.unvalued_quantity,
                )
                for row, warehouse in by_warehouse
            ],
            total=_totals([row for row, _ in by_warehouse]),
        )
    by_product = await repository.stock_value_by_product(session, tenant_id, warehouse_id)
    products = await products_by_ids(session, tenant_id, [row.key for row in by_product if row.key])
    rows = _by_category(by_product, products)
    categories = await categories_by_ids(
        session, tenant_id, [row.key for row in rows if row.key is not None]
    )
    groups = []
    for row in rows:
        category = categories.get(row.key) if row.key is not None else None
        groups.append(
            CategoryValue(
                category_id=row.key,
                name=category.name if category else None,
                path=category.path if category else None,
                quantity=row.quantity,
                value=money(row.value),
                unvalued_quantity=row.unvalued_quantity,
            )
        )
    # By path, case-insensitively; products without a category last.
    groups.sort(
        key=lambda g: (g.path is None, (g.path or "").lower(), g.path or "", str(g.category_id))
    )
    return StockValueByCategory(currency=currency, groups=groups, total=_totals(rows))
