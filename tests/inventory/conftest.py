"""Inventory tests: the shared builders (``tests.builders``: ``Inventory``, the
``inventory``, ``owner`` and ``database`` fixtures), the ledger check, and the tenant's
inventory rows as the application role sees them."""

from __future__ import annotations

import uuid
from typing import Any

from quartermaster.core.db import Database
from quartermaster.inventory.public import LedgerMismatch, ledger_mismatches
from tests.builders import API, Inventory, outbox_events, tenant_tables
from tests.conftest import TestServices

__all__ = ["API", "TABLES", "Inventory", "inventory_rows", "mismatches", "outbox_types"]


async def mismatches(database: Database, tenant_id: str) -> list[LedgerMismatch]:
    tenant = uuid.UUID(tenant_id)
    async with database.transaction(tenant) as session:
        return await ledger_mismatches(session, tenant)


TABLES = ("warehouses", "locations", "stock_levels", "stock_movements", "idempotency_keys")


async def inventory_rows(
    services: TestServices, tenant_id: str, tables: tuple[str, ...] = (*TABLES, "outbox_events")
) -> dict[str, list[dict[str, Any]]]:
    """Every inventory and outbox row of the tenant, to show a rejection wrote nothing."""
    return await tenant_tables(services, tenant_id, tables)


async def outbox_types(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    return await outbox_events(services, tenant_id)
