"""Request and response bodies of the inventory API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from quartermaster.core.inputs import Flag, PlainDecimal, Timestamp
from quartermaster.core.schemas import Strict, StrictPatch

MAX_QUANTITY_DECIMALS = 6
MAX_LINES = 500

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,31}$")
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A product's SKU or barcode, a warehouse's or location's code, as a scanner reads them.
ProductCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
PlaceCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
# Signed here (adjustments are); the service checks sign and the unit's decimals per kind.
Quantity = Annotated[
    PlainDecimal, Field(max_digits=24, decimal_places=MAX_QUANTITY_DECIMALS, allow_inf_nan=False)
]
UnitCost = Annotated[
    PlainDecimal, Field(ge=0, max_digits=19, decimal_places=4, allow_inf_nan=False)
]


# Warehouses and locations


class WarehouseCreate(Strict):
    code: Code
    name: Name
    address: Text | None = None
    is_active: Flag = True


class WarehouseUpdate(StrictPatch):
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"address"})

    code: Code | None = None
    name: Name | None = None
    address: Text | None = None
    is_active: Flag | None = None


class WarehouseRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    address: str | None
    is_active: bool
    default_location_id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime


class LocationCreate(Strict):
    warehouse_id: uuid.UUID
    code: Code
    name: Name
    allow_negative: Flag = False


class LocationUpdate(StrictPatch):
    code: Code | None = None
    name: Name | None = None
    allow_negative: Flag | None = None


class LocationRead(BaseModel):
    id: uuid.UUID
    warehouse_id: uuid.UUID
    code: str
    name: str
    is_default: bool
    allow_negative: bool
    version: int
    created_at: datetime
    updated_at: datetime


# Movements


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"


class MovementLine(Strict):
    """One line. ``receipt``: to (+ optional unit_cost). ``issue``: from. ``transfer``:
    both, different. ``adjustment``: to, a signed quantity ≠ 0 and a reason.

    The product is named by exactly one of ``product_id``, ``sku``, ``barcode``; each
    location by its id (``from_location_id``) or by its warehouse's and its own code
    (``from_warehouse_code`` + ``from_location_code``), not both."""

    kind: MovementKind
    product_id: uuid.UUID | None = None
    sku: ProductCode | None = None
    barcode: ProductCode | None = None
    quantity: Quantity
    from_location_id: uuid.UUID | None = None
    from_warehouse_code: PlaceCode | None = None
    from_location_code: PlaceCode | None = None
    to_location_id: uuid.UUID | None = None
    to_warehouse_code: PlaceCode | None = None
    to_location_code: PlaceCode | None = None
    unit_cost: UnitCost | None = None
    reason: Reason | None = None


class MovementRequest(Strict):
    """Either one movement (the fields of a line, plus reference and note) or a batch
    ``{"lines": […], "reference", "note"}``; a batch is recorded atomically."""

    lines: list[MovementLine] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    reference: Reference | None = None
    note: Text | None = None
    kind: MovementKind | None = None
    product_id: uuid.UUID | None = None
    sku: ProductCode | None = None
    barcode: ProductCode | None = None
    quantity: Quantity | None = None
    from_location_id: uuid.UUID | None = None
    from_warehouse_code: PlaceCode | None = None
    from_location_code: PlaceCode | None = None
    to_location_id: uuid.UUID | None = None
    to_warehouse_code: PlaceCode | None = None
    to_location_code: PlaceCode | None = None
    unit_cost: UnitCost | None = None
    reason: Reason | None = None

    _LINE_FIELDS: ClassVar[tuple[str, ...]] = tuple(MovementLine.model_fields)

    @model_validator(mode="after")
    def _one_movement_or_a_batch(self) -> MovementRequest:
        given = [name for name in self._LINE_FIELDS if getattr(self, name) is not None]
        if self.lines is not None:
            if given:
                raise ValueError(
                    f"send either lines or a single movement, not both ({', '.join(given)} "
                    "belong inside a line)"
                )
            return self
        missing = [name for name in ("kind", "quantity") if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{', '.join(missing)} required (or send a batch as lines: [...])")
        return self

    @property
    def is_batch(self) -> bool:
        return self.lines is not None

    def movement_lines(self) -> list[MovementLine]:
        if self.lines is not None:
            return self.lines
        return [
            MovementLine.model_validate({name: getattr(self, name) for name in self._LINE_FIELDS})
        ]

    def field(self, index: int, name: str) -> str:
        """How errors name a field of line ``index``: ``quantity`` or ``lines.2.quantity``."""
        return f"lines.{index}.{name}" if self.is_batch else name


class MovementRead(BaseModel):
    id: uuid.UUID
    batch_id: uuid.UUID
    line_no: int
    kind: str
    product_id: uuid.UUID
    sku: str
    product_name: str
    from_location_id: uuid.UUID | None
    from_location_code: str | None
    from_warehouse_code: str | None
    to_location_id: uuid.UUID | None
    to_location_code: str | None
    to_warehouse_code: str | None
    quantity: Decimal = Field(description="Always positive; the locations give the direction")
    unit_cost: Decimal | None
    reason: str | None
    reference: str | None
    note: str | None
    recorded_by: uuid.UUID
    recorded_by_label: str
    recorded_at: datetime


class LevelRead(BaseModel):
    product_id: uuid.UUID
    sku: str
    product_name: str
    location_id: uuid.UUID
    location_code: str
    warehouse_id: uuid.UUID
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = Field(description="on_hand - reserved")
    updated_at: datetime


class MovementBatchRead(BaseModel):
    id: uuid.UUID = Field(description="The batch id (shared by its lines)")
    reference: str | None
    note: str | None
    recorded_at: datetime
    recorded_by: uuid.UUID
    recorded_by_label: str
    lines: list[MovementRead]
    levels: list[LevelRead] = Field(
        description="The new level of every (product, location) the batch touched"
    )


# Levels


class LevelGrouping(StrEnum):
    PRODUCT = "product"
    WAREHOUSE = "warehouse"


class LevelTotal(BaseModel):
    """Totals per product (``group_by=product``) or per product and warehouse
    (``group_by=warehouse``)."""

    product_id: uuid.UUID
    sku: str
    product_name: str
    warehouse_id: uuid.UUID | None
    warehouse_code: str | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class Quantities(BaseModel):
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class LocationStock(Quantities):
    location_id: uuid.UUID
    code: str
    name: str


class WarehouseStock(Quantities):
    warehouse_id: uuid.UUID
    code: str
    name: str
    locations: list[LocationStock]


class ProductStock(BaseModel):
    product_id: uuid.UUID
    sku: str
    unit: str
    reorder_point: Decimal
    totals: Quantities
    warehouses: list[WarehouseStock]


# Reservations


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    FULFILLED = "fulfilled"
    RELEASED = "released"
    EXPIRED = "expired"


class ReservationCreate(Strict):
    """Hold ``quantity`` of a product at a location for ``reference`` (an order, a job…)
    until it is fulfilled, released or, when ``expires_at`` is given, it expires. The
    product is named by one of ``product_id``, ``sku``, ``barcode``; the location by
    ``location_id`` or by ``warehouse_code`` + ``location_code``."""

    product_id: uuid.UUID | None = None
    sku: ProductCode | None = None
    barcode: ProductCode | None = None
    location_id: uuid.UUID | None = None
    warehouse_code: PlaceCode | None = None
    location_code: PlaceCode | None = None
    quantity: Quantity
    reference: Reference
    expires_at: Timestamp | None = None


class ReservationFulfil(Strict):
    """Issue all of a reservation's open quantity (no body, or no ``quantity``) or a part
    of it; the rest stays reserved."""

    quantity: Quantity | None = Field(
        default=None, description="How much to issue now; default: all that is still open"
    )


class ReservationRead(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    product_name: str
    location_id: uuid.UUID
    location_code: str
    warehouse_code: str
    quantity: Decimal = Field(description="The quantity reserved in the first place")
    fulfilled_quantity: Decimal = Field(description="Issued so far (partial fulfilments add up)")
    open_quantity: Decimal = Field(
        description="Still reserved: quantity - fulfilled_quantity while active, else 0"
    )
    reference: str
    status: ReservationStatus
    expires_at: datetime | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class ReservationResult(ReservationRead):
    """A reservation after a change, with the new level of its (product, location) and,
    for a fulfilment, the ledger batch it wrote."""

    level: LevelRead
    batch_id: uuid.UUID | None = None


# Stock counts


class CountLine(Strict):
    """A product (by one of ``product_id``, ``sku``, ``barcode``) and what was counted."""

    product_id: uuid.UUID | None = None
    sku: ProductCode | None = None
    barcode: ProductCode | None = None
    counted_quantity: Quantity


class CountRequest(Strict):
    """What was on the shelves of one location (``location_id``, or ``warehouse_code`` +
    ``location_code``) at ``counted_at`` (which may be hours ago: a scanner synced late).
    Each line is compared with the ledger as of ``counted_at``."""

    location_id: uuid.UUID | None = None
    warehouse_code: PlaceCode | None = None
    location_code: PlaceCode | None = None
    counted_at: Timestamp
    lines: list[CountLine] = Field(min_length=1, max_length=MAX_LINES)
    reference: Reference | None = None
    note: Text | None = None


class CountLineRead(BaseModel):
    product_id: uuid.UUID
    sku: str
    product_name: str
    counted_quantity: Decimal
    on_hand_as_of: Decimal = Field(description="The ledger's on_hand at counted_at")
    movements_since_count: int = Field(
        description="Ledger lines of this product at the location recorded after counted_at "
        "(before this count): why the adjustment may differ from what was on the shelf then"
    )
    adjustment: Decimal = Field(description="counted_quantity - on_hand_as_of, applied now")
    movement_id: uuid.UUID | None = Field(description="The count movement; null when 0")


class CountRead(BaseModel):
    location_id: uuid.UUID
    location_code: str
    warehouse_code: str
    counted_at: datetime
    recorded_at: datetime
    movements_since_count: int = Field(
        description="Ledger lines at the location recorded after counted_at (before this "
        "count); more than 0 means the count is older than the newest movement there"
    )
    batch_id: uuid.UUID | None = Field(description="The ledger batch; null when nothing moved")
    lines: list[CountLineRead]
    levels: list[LevelRead] = Field(description="The new level of every adjusted product")


# Alerts


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertRead(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    product_name: str
    warehouse_id: uuid.UUID
    warehouse_code: str
    status: AlertStatus
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    resolved_at: datetime | None
