"""The inventory module's surface for other modules and the CLI."""

from __future__ import annotations

from quartermaster.inventory.events import InventoryEvents, StockMoved
from quartermaster.inventory.repository import available_total
from quartermaster.inventory.service.idempotency import prune_idempotency_keys
from quartermaster.inventory.service.ledger import (
    LedgerMismatch,
    ledger_mismatches,
    tenants_with_stock,
)
from quartermaster.inventory.service.reservations import release_expired_reservations

__all__ = [
    "InventoryEvents",
    "LedgerMismatch",
    "StockMoved",
    "available_total",
    "ledger_mismatches",
    "prune_idempotency_keys",
    "release_expired_reservations",
    "tenants_with_stock",
]
