"""Recording stock movements: the one writer of the ledger and the levels."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.catalog.public import ProductRef
from quartermaster.core.clock import utcnow
from quartermaster.core.events import emit
from quartermaster.core.ids import new_id
from quartermaster.identity.public import Principal
from quartermaster.inventory import repository
from quartermaster.inventory.errors import (
    FieldProblem,
    InsufficientStock,
    InvalidMovement,
    ProductArchived,
    WarehouseInactive,
)
from quartermaster.inventory.events import InventoryEvents, MovedLine, NewLevel, StockMoved
from quartermaster.inventory.repository import LevelKey, Place
from quartermaster.inventory.schemas import (
    LevelRead,
    MovementBatchRead,
    MovementKind,
    MovementLine,
    MovementRequest,
)
from quartermaster.inventory.service import alerts, valuation
from quartermaster.inventory.service.labels import level_read, movement_read
from quartermaster.inventory.service.references import (
    PlaceAsked,
    ProductAsked,
    in_line_order,
    resolve,
)

Places = dict[uuid.UUID, Place]


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _a(kind: MovementKind) -> str:
    """The kind with its article: "a receipt", "an issue", "an adjustment"."""
    return ("an " if kind.value[0] in "aeiou" else "a ") + kind.value


@dataclass(frozen=True)
class _Entry:
    """One validated line as the ledger stores it (positive quantity, direction by the
    location columns)."""

    line: MovementLine
    index: int
    product_id: uuid.UUID
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    quantity: Decimal


@dataclass(frozen=True)
class _LineRefs:
    """A line's references as written and the ids they resolved to (None: not given, or
    unknown, which the resolver reported)."""

    source: PlaceAsked
    target: PlaceAsked
    product_id: uuid.UUID | None
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None


def _line_references(request: MovementRequest) -> tuple[list[ProductAsked], list[PlaceAsked]]:
    """Every product and place a request names, two places per line (from, to)."""
    products: list[ProductAsked] = []
    places: list[PlaceAsked] = []
    for index, line in enumerate(request.movement_lines()):
        prefix = request.field(index, "")
        products.append(ProductAsked(prefix, line.product_id, line.sku, line.barcode))
        places.append(
            PlaceAsked(
                prefix,
                "from_",
                line.from_location_id,
                line.from_warehouse_code,
                line.from_location_code,
            )
        )
        places.append(
            PlaceAsked(
                prefix, "to_", line.to_location_id, line.to_warehouse_code, line.to_location_code
            )
        )
    return products, places


def _check_line(
    request: MovementRequest,
    index: int,
    line: MovementLine,
    refs: _LineRefs,
    products: dict[uuid.UUID, ProductRef],
) -> list[FieldProblem]:
    """Everything wrong with one line as written (422s), each naming its field; unknown
    products and places were reported when the references were resolved."""
    problems: list[FieldProblem] = []

    def problem(name: str, message: str, kind: str) -> None:
        problems.append(FieldProblem(request.field(index, name), message, kind))

    product = products.get(refs.product_id) if refs.product_id is not None else None
    kind = line.kind
    if kind is MovementKind.ADJUSTMENT:
        if line.quantity == 0:
            problem("quantity", "An adjustment must not be 0.", "quantity_zero")
        if line.reason is None:
            problem("reason", "An adjustment needs a reason.", "missing")
    elif line.quantity <= 0:
        problem("quantity", "Must be greater than 0.", "quantity_not_positive")
    if product is not None and decimals_of(line.quantity) > product.unit_decimals:
        problem(
            "quantity",
            f"At most {product.unit_decimals} decimal places in unit '{product.unit}'.",
            "too_many_decimals",
        )
    wants_from = kind in (MovementKind.ISSUE, MovementKind.TRANSFER)
    wants_to = kind in (MovementKind.RECEIPT, MovementKind.TRANSFER, MovementKind.ADJUSTMENT)
    for asked, wanted in ((refs.source, wants_from), (refs.target, wants_to)):
        if wanted and not asked.is_given:
            problems.append(
                FieldProblem(
                    asked.name("location_id"),
                    f"Required for {_a(kind)} (or {asked.side}warehouse_code and "
                    f"{asked.side}location_code).",
                    "missing",
                )
            )
        elif not wanted and asked.is_given:
            problems.extend(
                FieldProblem(name, f"Not allowed for {_a(kind)}.", "not_allowed")
                for name in asked.given_names()
            )
    if (
        kind is MovementKind.TRANSFER
        and refs.from_location_id is not None
        and refs.from_location_id == refs.to_location_id
    ):
        (name, *_) = refs.target.given_names()
        problems.append(
            FieldProblem(name, "A transfer needs two different locations.", "same_location")
        )
    if line.unit_cost is not None and kind is not MovementKind.RECEIPT:
        problem("unit_cost", "Only receipts carry a unit cost.", "not_allowed")
    return problems


def _entry(index: int, line: MovementLine, refs: _LineRefs) -> _Entry:
    assert refs.product_id is not None  # a line with problems never gets here
    if line.kind is MovementKind.ADJUSTMENT and line.quantity < 0:
        return _Entry(line, index, refs.product_id, refs.to_location_id, None, -line.quantity)
    return _Entry(
        line, index, refs.product_id, refs.from_location_id, refs.to_location_id, line.quantity
    )


def _check_inflows(
    request: MovementRequest,
    entries: list[_Entry],
    products: dict[uuid.UUID, ProductRef],
    places: Places,
) -> None:
    """Archived products and inactive warehouses may lose stock but not gain it (409)."""
    for entry in entries:
        if entry.to_location_id is None:
            continue
        product = products[entry.product_id]
        if not product.is_active and entry.line.kind is not MovementKind.TRANSFER:
            field = next(
                name for name in ("product_id", "sku", "barcode") if getattr(entry.line, name)
            )
            raise ProductArchived(request.field(entry.index, field), product.sku)
        place = places[entry.to_location_id]
        if not place.warehouse_is_active:
            field = "to_location_id" if entry.line.to_location_id else "to_warehouse_code"
            raise WarehouseInactive(request.field(entry.index, field), place.warehouse_code)


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row to write: a positive quantity, the direction given by the locations."""

    kind: str
    product_id: uuid.UUID
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    quantity: Decimal
    unit_cost: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True)
class LevelChange:
    """A net change of one level row: on_hand and reserved."""

    on_hand: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)

    def __add__(self, other: LevelChange) -> LevelChange:
        return LevelChange(self.on_hand + other.on_hand, self.reserved + other.reserved)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def net_changes(entries: list[LedgerEntry]) -> dict[LevelKey, LevelChange]:
    """The net on_hand change per (product, location) of ledger entries."""
    changes: dict[LevelKey, LevelChange] = defaultdict(LevelChange)
    for entry in entries:
        product_id = entry.product_id
        if entry.from_location_id is not None:
            changes[(product_id, entry.from_location_id)] += LevelChange(on_hand=-entry.quantity)
        if entry.to_location_id is not None:
            changes[(product_id, entry.to_location_id)] += LevelChange(on_hand=entry.quantity)
    return dict(changes)


async def _write_levels(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    changes: dict[LevelKey, LevelChange],
    products: dict[uuid.UUID, ProductRef],
    places: Places,
    now: datetime,
) -> list[LevelRead]:
    """The one locked write of the levels, in one statement: every touched row is created
    when missing, or locked FOR NO KEY UPDATE and changed relative to what it holds, in
    (product_id, location_id) order. Then a net decrease of ``available`` (on_hand -
    reserved) that took a location which does not allow negative stock below 0 is 409
    ``insufficient-stock``: the exception rolls the caller's transaction back, so nothing
    is written. Returns the new level of every key, in key order."""
    keys = sorted(changes)
    levels = await repository.apply_level_changes(
        session,
        tenant_id,
        [(key, changes[key].on_hand, changes[key].reserved) for key in keys],
        now,
    )
    for key in keys:
        change = changes[key].available
        location = places[key[1]]
        if change >= 0 or location.allow_negative:
            continue
        on_hand, reserved = levels[key]
        if on_hand - reserved < 0:
            product = products[key[0]]
            raise InsufficientStock(
                product_id=product.id,
                sku=product.sku,
                location_id=location.id,
                location_code=location.code,
                requested=-change,
                available=on_hand - reserved - change,
            )
    return [
        level_read(products[key[0]], places[key[1]], levels[key][0], levels[key][1], now)
        for key in keys
    ]


async def _evaluate_alerts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    changes: dict[LevelKey, LevelChange],
    level_reads: list[LevelRead],
    products: dict[uuid.UUID, ProductRef],
    now: datetime,
) -> None:
    """Re-evaluate the alerts of the (product, warehouse) pairs whose available total
    changed. A pair whose changes cancel out (a transfer between two bins of one
    warehouse, a fulfilment consuming its own reservation) cannot have crossed its reorder
    point, so it is skipped."""
    net: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = defaultdict(Decimal)
    for level in level_reads:
        net[(level.product_id, level.warehouse_id)] += changes[
            (level.product_id, level.location_id)
        ].available
    await alerts.evaluate(
        session, tenant_id, products, [pair for pair, change in net.items() if change != 0], now
    )


async def change_levels(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    changes: dict[LevelKey, LevelChange],
    products: dict[uuid.UUID, ProductRef],
    places: Places,
    now: datetime,
) -> list[LevelRead]:
    """Change levels without a ledger row (reserving and releasing stock) through the same
    locked write as the ledger, then raise or resolve the alerts of the touched pairs."""
    level_reads = await _write_levels(session, tenant_id, changes, products, places, now)
    await _evaluate_alerts(session, tenant_id, changes, level_reads, products, now)
    return level_reads


async def post_ledger(
    session: AsyncSession,
    principal: Principal,
    entries: list[LedgerEntry],
    products: dict[uuid.UUID, ProductRef],
    places: Places,
    now: datetime,
    *,
    reference: str | None,
    note: str | None,
    extra: dict[LevelKey, LevelChange] | None = None,
) -> MovementBatchRead:
    """Write validated ledger entries as one batch: the locked level write (plus ``extra``
    level changes, e.g. the reserved stock a fulfilment consumes), the ledger rows, the
    ``inventory.stock.moved`` event, then the alerts of every touched (product, warehouse).
    Receipts with a unit cost fold into their product's moving-average cost (under the
    cost row's lock, after the level locks). Everyone who writes the ledger comes through
    here."""
    tenant_id = principal.tenant_id
    changes = net_changes(entries)
    for key, change in (extra or {}).items():
        changes[key] = changes.get(key, LevelChange()) + change
    level_reads = await _write_levels(session, tenant_id, changes, products, places, now)
    await valuation.fold_receipt_costs(session, tenant_id, entries, changes, now)

    batch_id = new_id()
    rows = [
        _ledger_row(principal, batch_id, index, entry, reference, note, now)
        for index, entry in enumerate(entries)
    ]
    await repository.append_movements(session, tenant_id, principal.id, principal.label, now, rows)
    batch = MovementBatchRead(
        id=batch_id,
        reference=reference,
        note=note,
        recorded_at=now,
        recorded_by=principal.id,
        recorded_by_label=principal.label,
        lines=[movement_read(row, products, places) for row in rows],
        levels=level_reads,
    )
    await emit(session, tenant_id, InventoryEvents.STOCK_MOVED, _stock_moved(batch))
    await _evaluate_alerts(session, tenant_id, changes, level_reads, products, now)
    return batch


async def record_movements(
    session: AsyncSession, principal: Principal, request: MovementRequest
) -> MovementBatchRead:
    """Record one movement or a batch atomically: every line or none.

    Lines are checked as written first (422 naming line and field). Then the net change
    per (product, location) is applied under row locks taken in (product_id, location_id)
    order, so concurrent batches over the same rows queue instead of deadlocking. A net
    withdrawal beyond ``on_hand - reserved`` at a location that does not allow negative
    stock is 409 ``insufficient-stock`` and nothing is written. Emits
    ``inventory.stock.moved`` with the new levels."""
    tenant_id = principal.tenant_id
    lines = request.movement_lines()
    asked_products, asked_places = _line_references(request)
    resolved = await resolve(session, tenant_id, asked_products, asked_places)
    products, places = resolved.products, resolved.places
    refs = [
        _LineRefs(
            source=asked_places[2 * index],
            target=asked_places[2 * index + 1],
            product_id=resolved.product_ids[index],
            from_location_id=resolved.location_ids[2 * index],
            to_location_id=resolved.location_ids[2 * index + 1],
        )
        for index in range(len(lines))
    ]
    problems = resolved.problems + [
        problem
        for index, line in enumerate(lines)
        for problem in _check_line(request, index, line, refs[index], products)
    ]
    if problems:
        raise InvalidMovement(in_line_order(problems))
    entries = [_entry(index, line, refs[index]) for index, line in enumerate(lines)]
    _check_inflows(request, entries, products, places)
    return await post_ledger(
        session,
        principal,
        [
            LedgerEntry(
                kind=entry.line.kind.value,
                product_id=entry.product_id,
                from_location_id=entry.from_location_id,
                to_location_id=entry.to_location_id,
                quantity=entry.quantity,
                unit_cost=entry.line.unit_cost,
                reason=entry.line.reason,
            )
            for entry in entries
        ],
        products,
        places,
        utcnow(),
        reference=request.reference,
        note=request.note,
    )


def _ledger_row(
    principal: Principal,
    batch_id: uuid.UUID,
    index: int,
    entry: LedgerEntry,
    reference: str | None,
    note: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "tenant_id": principal.tenant_id,
        "batch_id": batch_id,
        "line_no": index + 1,
        "kind": entry.kind,
        "product_id": entry.product_id,
        "from_location_id": entry.from_location_id,
        "to_location_id": entry.to_location_id,
        "quantity": entry.quantity,
        "unit_cost": entry.unit_cost,
        "reason": entry.reason,
        "reference": reference,
        "note": note,
        "recorded_by": principal.id,
        "recorded_by_label": principal.label,
        "recorded_at": now,
    }


def _stock_moved(batch: MovementBatchRead) -> StockMoved:
    return StockMoved(
        batch_id=batch.id,
        kinds=sorted({line.kind for line in batch.lines}),
        reference=batch.reference,
        recorded_at=batch.recorded_at,
        recorded_by=batch.recorded_by,
        lines=[
            MovedLine(
                id=line.id,
                line_no=line.line_no,
                kind=line.kind,
                product_id=line.product_id,
                from_location_id=line.from_location_id,
                to_location_id=line.to_location_id,
                quantity=line.quantity,
            )
            for line in batch.lines
        ],
        levels=[
            NewLevel(
                product_id=level.product_id,
                location_id=level.location_id,
                warehouse_id=level.warehouse_id,
                on_hand=level.on_hand,
                reserved=level.reserved,
                available=level.available,
            )
            for level in batch.levels
        ],
    )
