"""The events inventory publishes (through the outbox, in the changing transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class InventoryEvents:
    WAREHOUSE_CREATED = "inventory.warehouse.created"
    WAREHOUSE_UPDATED = "inventory.warehouse.updated"
    LOCATION_CREATED = "inventory.location.created"
    LOCATION_UPDATED = "inventory.location.updated"
    STOCK_MOVED = "inventory.stock.moved"
    RESERVATION_CREATED = "inventory.reservation.created"
    RESERVATION_FULFILLED = "inventory.reservation.fulfilled"
    RESERVATION_RELEASED = "inventory.reservation.released"
    ALERT_RAISED = "inventory.alert.raised"
    ALERT_RESOLVED = "inventory.alert.resolved"


class MovedLine(BaseModel):
    id: uuid.UUID
    line_no: int
    kind: str
    product_id: uuid.UUID
    from_location_id: uuid.UUID | None
    to_location_id: uuid.UUID | None
    quantity: Decimal


class NewLevel(BaseModel):
    product_id: uuid.UUID
    location_id: uuid.UUID
    warehouse_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


class StockMoved(BaseModel):
    """One committed batch: its lines and the new level of every (product, location) it
    touched, so a live screen can update without reading anything back."""

    batch_id: uuid.UUID
    kinds: list[str]
    reference: str | None
    recorded_at: datetime
    recorded_by: uuid.UUID
    lines: list[MovedLine]
    levels: list[NewLevel]


class ReservationChanged(BaseModel):
    """A reservation was created, fulfilled or released (``status`` says which; an expired
    one is released with status ``expired``), with the new level of its (product,
    location). ``batch_id`` is the ledger batch of a fulfilment; a partial fulfilment
    keeps ``status`` ``active`` with a smaller ``open_quantity``."""

    id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    fulfilled_quantity: Decimal
    open_quantity: Decimal
    reference: str
    status: str
    expires_at: datetime | None
    batch_id: uuid.UUID | None
    level: NewLevel


class AlertChanged(BaseModel):
    """A (product, warehouse) alert was raised or resolved."""

    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    warehouse_id: uuid.UUID
    status: str
    available: Decimal
    reorder_point: Decimal
    at: datetime
