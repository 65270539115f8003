"""The inventory module's surface for other modules and the CLI."""

from __future__ import annotations

from quartermaster.inventory.events import InventoryEvents, StockMoved
from quartermaster.inventory.service.idempotency import prune_idempotency_keys
from quartermaster.inventory.service.ledger import (
    LedgerMismatch,
    ledger_mismatches,
    tenants_with_stock,
)

__all__ = [
    "InventoryEvents",
    "LedgerMismatch",
    "StockMoved",
    "ledger_mismatches",
    "prune_idempotency_keys",
    "tenants_with_stock",
]
